// kubectl bitcoin dashboard: draws what the local server's api/state answers. Hand-written, no
// framework, nothing from the internet. Text from the cluster is only ever set as textContent.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const POLL_MS = 1000;
  const MAX_SAMPLES = 600; // per node: ten minutes at one sample a second
  // One colour per distinct tip, in the order of the groups (most blocks first).
  const PALETTE = ['#2f6fde', '#e0672b', '#2a9d5b', '#b23ab5', '#c9a227', '#3fa7bd', '#8a5a44', '#6b7280'];
  // Conditions that are bad news when True (Ready is bad news when not True).
  const ALERT_WHEN_TRUE = new Set(['Forked', 'Partitioned', 'Degraded']);
  const heights = new Map(); // ordinal -> [{t, blocks}]
  const network = new URLSearchParams(location.search).get('network') || '';

  function $(id) { return document.getElementById(id); }
  function html(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function short(hash) { return hash ? hash.slice(0, 12) : '-'; }

  // The groups of nodes by tip: status.forks when the controller writes it, else from the nodes.
  function tipGroups(state) {
    if (Array.isArray(state.forks) && state.forks.length > 0) return state.forks;
    const byTip = new Map();
    for (const n of state.nodeStatus || []) {
      if (!n.ready || !n.bestBlockHash) continue;
      if (!byTip.has(n.bestBlockHash)) byTip.set(n.bestBlockHash, { hash: n.bestBlockHash, height: n.blocks, nodes: [] });
      byTip.get(n.bestBlockHash).nodes.push(n.ordinal);
    }
    return [...byTip.values()].sort((a, b) => (b.height - a.height) || (a.hash < b.hash ? -1 : 1));
  }
  function tipColours(groups) {
    const colours = new Map();
    groups.forEach((g, i) => colours.set(g.hash, PALETTE[Math.min(i, PALETTE.length - 1)]));
    return colours;
  }

  function renderHeader(state) {
    $('network-name').textContent = state.name || '…';
    document.title = (state.name || '') + ' · kubectl bitcoin dashboard';
    const parts = [];
    if (state.namespace) parts.push('namespace ' + state.namespace);
    if (state.topology) parts.push('topology ' + state.topology);
    if (state.nodes !== undefined && state.nodes !== null) parts.push((state.readyNodes || 0) + '/' + state.nodes + ' ready');
    if (state.blockHeight !== undefined) parts.push('height ' + state.blockHeight);
    if (state.observedAt) parts.push('read ' + state.observedAt);
    $('summary').textContent = parts.join(' · ');
    const conditions = clear($('conditions'));
    for (const c of state.conditions || []) {
      const alert = ALERT_WHEN_TRUE.has(c.type) ? c.status === 'True' : c.type === 'Ready' && c.status !== 'True';
      const badge = html('span', { class: 'badge ' + (alert ? 'alert' : String(c.status).toLowerCase()), 'data-condition': c.type,
        title: (c.reason || '') + (c.message ? ': ' + c.message : '') }, c.type + '=' + c.status);
      conditions.appendChild(badge);
    }
    const problems = [];
    if (state.loading) problems.push('reading network ' + state.name + '…');
    if (state.error) problems.push(state.error);
    if (state.rpcProblem) problems.push('live connections: ' + state.rpcProblem);
    $('problems').textContent = problems.join(' · ');
  }

  // Node positions: one circle, or with a partition one small circle per group.
  function layout(count, groups) {
    const pos = new Map();
    const cx = 320, cy = 205;
    const place = (members, x, y, r) => members.forEach((m, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(members.length, 1);
      pos.set(m, { x: members.length === 1 ? x : x + r * Math.cos(a), y: members.length === 1 ? y : y + r * Math.sin(a) });
    });
    if (!groups || groups.length < 2) {
      place([...Array(count).keys()], cx, cy, Math.min(170, 40 + count * 14));
      return { pos, areas: [] };
    }
    const areas = [];
    groups.forEach((g, i) => {
      const a = Math.PI + (2 * Math.PI * i) / groups.length;
      const gx = cx + 160 * Math.cos(a), gy = cy + 110 * Math.sin(a);
      const r = Math.min(80, 20 + g.nodes.length * 12);
      place(g.nodes, gx, gy, r);
      areas.push({ name: g.name, x: gx, y: gy, r: r + 30 });
    });
    return { pos, areas };
  }

  // With a partition: the groups as listed, plus the nodes no group lists (the group "rest").
  function partitionGroups(state) {
    if (!state.partition || !Array.isArray(state.partition.groups)) return null;
    const groups = state.partition.groups.map(g => ({ name: g.name || '?', nodes: (g.nodes || []).slice() }));
    const listed = new Set(groups.flatMap(g => g.nodes));
    const rest = [...Array(state.nodes || 0).keys()].filter(n => !listed.has(n));
    if (rest.length > 0 && !groups.some(g => g.name === 'rest')) groups.push({ name: 'rest', nodes: rest });
    return groups;
  }

  function renderTopology(state, colours) {
    const root = clear($('topology'));
    const count = state.nodes || 0;
    const groups = partitionGroups(state);
    const groupOf = new Map();
    (groups || []).forEach(g => g.nodes.forEach(n => groupOf.set(n, g.name)));
    const { pos, areas } = layout(count, groups);
    for (const a of areas) {
      root.appendChild(svg('circle', { class: 'group-area', cx: a.x, cy: a.y, r: a.r, 'data-partition-group': a.name }));
      root.appendChild(svg('text', { class: 'group-label', x: a.x, y: a.y - a.r - 6 }, a.name));
    }
    const key = (a, b) => Math.min(a, b) + '-' + Math.max(a, b);
    const live = new Set((state.liveEdges || []).map(([a, b]) => key(a, b)));
    const line = (a, b, attrs) => {
      const p = pos.get(a), q = pos.get(b);
      if (!p || !q) return;
      root.appendChild(svg('line', Object.assign({ x1: p.x, y1: p.y, x2: q.x, y2: q.y }, attrs)));
    };
    for (const [a, b] of state.topologyEdges || []) {
      if (!live.has(key(a, b))) line(a, b, { class: 'edge planned', 'data-planned-edge': key(a, b) });
    }
    for (const [a, b] of state.liveEdges || []) {
      const crossing = groups && groupOf.get(a) !== groupOf.get(b);
      line(a, b, { class: 'edge live' + (crossing ? ' cross' : ''), 'data-edge': key(a, b) });
    }
    const status = new Map((state.nodeStatus || []).map(n => [n.ordinal, n]));
    for (let i = 0; i < count; i++) {
      const p = pos.get(i);
      if (!p) continue;
      const n = status.get(i) || {};
      const g = svg('g', { class: 'node' + (n.ready ? '' : ' not-ready'), 'data-node': i, 'data-tip': n.bestBlockHash || '',
        'data-group': groupOf.get(i) || '' });
      g.appendChild(svg('title', {}, 'node ' + i + (n.ready ? '' : ' (not ready' + (n.reason ? ': ' + n.reason : '') + ')') +
        '\nheight ' + (n.blocks ?? '-') + ', tip ' + short(n.bestBlockHash) + ', peers ' + (n.peers ?? '-')));
      g.appendChild(svg('circle', { cx: p.x, cy: p.y, r: 17, fill: colours.get(n.bestBlockHash) || '#9aa3ad' }));
      g.appendChild(svg('text', { x: p.x, y: p.y }, String(i)));
      g.appendChild(svg('text', { class: 'sub', x: p.x, y: p.y + 28 }, n.blocks === null || n.blocks === undefined ? '-' : String(n.blocks)));
      root.appendChild(g);
    }
    const partition = clear($('partition'));
    if (groups) {
      partition.textContent = (state.partition.source === 'spec' ? 'Partition asked for (not yet in force): ' : 'Partitioned' +
        (state.partition.since ? ' since ' + state.partition.since : '') + ': ') +
        groups.map(g => g.name + ' {' + g.nodes.join(', ') + '}').join('  ·  ');
    }
  }

  function renderTipLegend(groups, colours) {
    const legend = clear($('tip-legend'));
    for (const g of groups) {
      legend.appendChild(html('span', { class: 'swatch', style: '' }));
      legend.lastChild.style.background = colours.get(g.hash);
      legend.appendChild(document.createTextNode(g.height + '/' + short(g.hash) + ' (nodes ' + g.nodes.join(', ') + ')'));
    }
  }

  // The chain-tip tree: a trunk up to the fork point, one branch per group to its tip.
  function renderTips(groups, colours) {
    const root = clear($('tips'));
    if (groups.length === 0) return;
    const forkHeights = groups.map(g => g.forkPoint ? g.forkPoint.height : g.height);
    const low = Math.min(...forkHeights) - 2; // room left of the fork point for its label
    const high = Math.max(...groups.map(g => g.height), low + 1);
    const x = h => 40 + ((h - low) / (high - low)) * 360; // room on the right for the labels
    const rowY = i => groups.length === 1 ? 100 : 30 + (i * 140) / (groups.length - 1);
    const trunkEnd = Math.min(...forkHeights);
    root.appendChild(svg('line', { class: 'trunk', x1: 20, y1: 100, x2: x(trunkEnd), y2: 100 }));
    if (groups.length > 1 && groups[0].forkPoint) {
      root.appendChild(svg('text', { class: 'fork-point', x: x(trunkEnd), y: 120, 'text-anchor': 'middle', 'data-fork-point': trunkEnd },
        'fork at ' + trunkEnd + '/' + short(groups[0].forkPoint.hash)));
    } else if (groups.length > 1) {
      // Grouped by the page from the nodes' tips: where they fork is not known here.
      root.appendChild(svg('text', { class: 'fork-point', x: 20, y: 190 }, 'fork point not reported (no status.forks)'));
    }
    groups.forEach((g, i) => {
      const from = g.forkPoint ? g.forkPoint.height : trunkEnd;
      const y = rowY(i);
      const e = svg('g', { class: 'fork', 'data-fork': i, 'data-tip-hash': g.hash || '', 'data-nodes': g.nodes.join(',') });
      e.appendChild(svg('path', { class: 'branch', stroke: colours.get(g.hash),
        d: 'M' + x(from) + ' 100 L' + (x(from) + 12) + ' ' + y + ' L' + x(g.height) + ' ' + y }));
      e.appendChild(svg('circle', { cx: x(g.height), cy: y, r: 6, fill: colours.get(g.hash) }));
      e.appendChild(svg('text', { x: x(g.height) + 10, y: y + 4 }, g.height + '/' + short(g.hash) + '  nodes ' + g.nodes.join(',') +
        (g.depth ? '  depth ' + g.depth : '')));
      root.appendChild(e);
    });
  }

  function recordHeights(state) {
    const now = Date.now();
    for (const n of state.nodeStatus || []) {
      if (n.blocks === null || n.blocks === undefined) continue;
      if (!heights.has(n.ordinal)) heights.set(n.ordinal, []);
      const samples = heights.get(n.ordinal);
      samples.push({ t: now, blocks: n.blocks });
      if (samples.length > MAX_SAMPLES) samples.shift();
    }
  }

  function renderHeights(colours, state) {
    const root = clear($('heights'));
    const all = [...heights.values()].flat();
    if (all.length === 0) return;
    const t0 = Math.min(...all.map(s => s.t)), t1 = Math.max(...all.map(s => s.t), t0 + 1);
    const b0 = Math.min(...all.map(s => s.blocks)), b1 = Math.max(...all.map(s => s.blocks), b0 + 1);
    const x = t => 40 + ((t - t0) / (t1 - t0)) * 560;
    const y = b => 180 - ((b - b0) / (b1 - b0)) * 160;
    const axis = svg('g', { class: 'axis' });
    axis.appendChild(svg('line', { x1: 40, y1: 180, x2: 600, y2: 180 }));
    axis.appendChild(svg('text', { x: 4, y: y(b1) + 4 }, String(b1)));
    axis.appendChild(svg('text', { x: 4, y: y(b0) + 4 }, String(b0)));
    axis.appendChild(svg('text', { x: 540, y: 196 }, Math.round((t1 - t0) / 1000) + ' s'));
    root.appendChild(axis);
    const tips = new Map((state.nodeStatus || []).map(n => [n.ordinal, n.bestBlockHash]));
    for (const [ordinal, samples] of heights) {
      const g = svg('g', { class: 'series', 'data-height-node': ordinal });
      g.appendChild(svg('polyline', { stroke: colours.get(tips.get(ordinal)) || '#9aa3ad',
        points: samples.map(s => x(s.t).toFixed(1) + ',' + y(s.blocks).toFixed(1)).join(' ') }));
      const last = samples[samples.length - 1];
      g.appendChild(svg('text', { x: Math.min(x(last.t) + 4, 610), y: y(last.blocks) - 3 - 10 * (ordinal % 3) }, String(ordinal)));
      root.appendChild(g);
    }
  }

  function renderEvents(state) {
    const body = clear($('events').tBodies[0]);
    for (const e of (state.events || []).slice().reverse()) {
      const row = html('tr', { class: e.type || '', 'data-event': e.reason || '' });
      for (const text of [e.time, e.type, e.reason, (e.message || '') + (e.count > 1 ? ' (×' + e.count + ')' : '')]) {
        row.appendChild(html('td', {}, text || ''));
      }
      body.appendChild(row);
    }
  }

  function renderChooser(state) {
    const nav = clear($('chooser'));
    nav.hidden = false;
    $('network-name').textContent = 'choose a network';
    nav.appendChild(document.createTextNode('Networks in namespace ' + state.namespace + ': '));
    for (const name of state.networks || []) {
      const a = html('a', { href: '?network=' + encodeURIComponent(name), 'data-network': name }, name);
      nav.appendChild(a);
    }
    if ((state.networks || []).length === 0) nav.appendChild(document.createTextNode('none yet'));
  }

  function render(state) {
    if (state.choose) { renderChooser(state); return; }
    $('chooser').hidden = true;
    renderHeader(state);
    if (state.loading || state.error) return;
    const groups = tipGroups(state);
    const colours = tipColours(groups);
    recordHeights(state);
    renderTopology(state, colours);
    renderTipLegend(groups, colours);
    renderTips(groups, colours);
    renderHeights(colours, state);
    renderEvents(state);
    document.body.setAttribute('data-rendered', state.observedAt || 'yes');
  }

  async function poll() {
    try {
      const answer = await fetch('api/state' + (network ? '?network=' + encodeURIComponent(network) : ''), { cache: 'no-store' });
      if (!answer.ok) throw new Error('the dashboard server answered ' + answer.status + ': ' + (await answer.text()));
      render(await answer.json());
    } catch (e) {
      $('problems').textContent = String(e.message || e) + ' (is kubectl bitcoin dashboard still running?)';
    }
    setTimeout(poll, POLL_MS);
  }

  // A test page may set window.KB_DASHBOARD_FIXTURE to a list of states to draw instead of polling.
  if (Array.isArray(window.KB_DASHBOARD_FIXTURE)) {
    window.KB_DASHBOARD_FIXTURE.forEach(render);
  } else {
    poll();
  }
})();
