import subprocess, sys, re
src = open('/tmp/chart-gen/cases.txt').read()
values = open('/tmp/chart-gen/values.yaml').read()
cases = []
for block in src.split('#### case: ')[1:]:
    name, rest = block.split('\n', 1)
    tpl = rest.split('#### template\n', 1)[1]
    if tpl.endswith('\n'): tpl = tpl[:-1]
    cases.append((name, tpl))
out = ['# Golden cases for the template engine: each template rendered by Go text/template + Sprig', '# with Helm\'s options (missingkey=zero, "<no value>" removed) and Helm\'s functions.', '# Regenerate with the oracle described in test/unit/chart/README.md; the shared values are in engine_values.yaml.', '']
for name, tpl in cases:
    open('/tmp/chart-gen/in.tpl','w').write(tpl)
    want = subprocess.run([sys.argv[1], '/tmp/chart-gen/in.tpl', '/tmp/chart-gen/values.yaml'], capture_output=True, text=True).stdout
    out.append('#### case: ' + name)
    out.append('#### template')
    out.append(tpl)
    out.append('#### want')
    out.append(want)
open(sys.argv[2],'w').write('\n'.join(out) + '\n#### end\n')
print(len(cases), 'cases')
