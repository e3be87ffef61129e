import random, json, sys
random.seed(int(sys.argv[1]))
atoms = ['true', 'True', 'yes', 'no', 'on', 'off', 'y', 'n', 'null', 'Null', '~', '', ' ', '1', '01', '0x1f', '0o17', '1e3', '1.5', '.5', '-1', '+1', '1_000', '1:20', '2001-12-14', '2001-12-14T21:59:43.10-05:00',
  'a: b', 'a:b', 'a #b', 'a#b', '#x', '- x', '-x', '--- x', '...', '? x', '?x', ':x', 'x:', '@x', '`x', '!x', '&x', '*x', '|x', '>x', '%x', "'x", '"x', 'x"', "it's", '[x]', '{x}', 'a,b', 'a, b',
  'é', 'ünïcödé text', '日本語', 'tab\there', 'cr\rhere', 'nl\nhere', 'trail\n', 'trail2\n\n', '\nlead', ' lead', 'trail ', 'a \nb', 'a\n b', 'a\n\nb', '\t', 'x\x00y', 'x\x1by', 'bom\ufeff', 
  'plain text', 'ghcr.io/org/image:1.2.3', 'http://example.com/a?b=c&d=e', '{{ .Values.x }}', '<>&', 'a=b', 'k=v,x=y', '50m', '64Mi', 'v1.2.3', '1.2.3', '.', '..', '-', '=', '<<', 'NaN', '.inf', '-.inf', '.NaN']
words = ['alpha', 'beta', 'gamma', 'delta', 'x', 'longerword', 'mid', 'a', 'zz']
def rstring():
    r = random.random()
    if r < 0.6: return random.choice(atoms)
    if r < 0.8: return ' '.join(random.choice(words) for _ in range(random.randint(8, 30)))
    return ''.join(random.choice('ab :#-\n\'"é\t{}[],') for _ in range(random.randint(1, 12)))
def rkey():
    r = random.random()
    if r < 0.97: return random.choice(words + ['A', 'B', '_a', 'a1', 'a10', 'a9', 'a01', 'b2c', 'Z', '1', '10', '9', 'x-y', 'x.y', 'x_y'])
    return rstring()
def rvalue(d=0):
    r = random.random()
    if d > 3 or r < 0.45:
        c = random.random()
        if c < 0.7: return rstring()
        if c < 0.8: return random.choice([0, 1, -3, 2.5, 1e21, 1e-7, 123456789, 0.1, 100000, 1000000])
        if c < 0.9: return random.choice([True, False, None])
        return random.choice([[], {}])
    if r < 0.7:
        return {rkey(): rvalue(d+1) for _ in range(random.randint(1, 4))}
    return [rvalue(d+1) for _ in range(random.randint(1, 4))]
for i in range(int(sys.argv[2])):
    v = {rkey(): rvalue() for _ in range(random.randint(1, 4))}
    print(json.dumps(v))
