import random, subprocess, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
vals = ['.Values.a', '.Values.s', '.Values.l', '.Values.m', '.Values.nn', '.Values.f', '.Values.e', '.Values.b', '1', '0', '2.5', '"x"', '""', '"a b"', 'true', 'false', 'nil', '(list 1 2)', '(dict "k" "v")', '.Values.m.x', '.Values.missing', '$', '.', '(list)', '"1.5"', '"08"', '-3']
funcs1 = ['quote', 'squote', 'upper', 'lower', 'title', 'trim', 'toString', 'toYaml', 'toJson', 'len', 'empty', 'not', 'int', 'int64', 'float64', 'kindOf', 'typeOf', 'b64enc', 'first', 'last', 'keys', 'toStrings', 'sortAlpha', 'uniq', 'compact', 'deepCopy', 'nospace', 'add1', 'print', 'println', 'html', 'js', 'urlquery', 'sha256sum', 'fromYaml', 'fromJson', 'toPrettyJson', 'toRawJson', 'reverse', 'rest', 'initial', 'values', 'snakecase', 'camelcase', 'atoi', 'semver']
funcs2 = ['default', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'add', 'sub', 'mul', 'div', 'mod', 'max', 'min', 'trunc', 'indent', 'nindent', 'repeat', 'contains', 'hasPrefix', 'hasSuffix', 'trimPrefix', 'trimSuffix', 'trimAll', 'join', 'split', 'splitList', 'has', 'append', 'prepend', 'without', 'index', 'coalesce', 'cat', 'list', 'dict', 'get', 'hasKey', 'pick', 'omit', 'merge', 'mergeOverwrite', 'printf', 'regexMatch', 'regexFind', 'semverCompare', 'concat', 'until', 'ternary', 'kindIs', 'typeIs', 'required', 'print', 'dig']
fmts = ['"%v"', '"%d"', '"%s"', '"%q"', '"%5.1f"', '"%x"', '"%t %v"', '"%-4v|"', '"%05d"', '"%+d"', '"%e"', '"%g"', '"%T"']
def expr(d=0):
    r = random.random()
    if d > 2 or r < 0.35:
        return random.choice(vals)
    if r < 0.6:
        return '(%s %s)' % (random.choice(funcs1), expr(d+1))
    f = random.choice(funcs2)
    if f == 'printf':
        return '(printf %s %s)' % (random.choice(fmts), expr(d+1))
    n = random.choice([2, 2, 3])
    return '(%s %s)' % (f, ' '.join(expr(d+1) for _ in range(n)))
def stmt():
    r = random.random()
    e = expr()
    if r < 0.5: return '{{ %s }}' % e[1:-1] if e.startswith('(') else '{{ %s }}' % e
    if r < 0.65: return '{{ if %s }}T{{ else }}F{{ end }}' % e
    if r < 0.8: return '{{ range $i, $v := %s }}[{{ $i }}:{{ $v }}]{{ else }}E{{ end }}' % e
    if r < 0.9: return '{{ with %s }}<{{ . }}>{{ end }}' % e
    return '{{ %s | %s }}' % (e, random.choice(funcs1))
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 200):
    print(' '.join(stmt() for _ in range(random.randint(1, 3))))
