#!/usr/bin/env python3
"""spec.args against the real API server: the CRD's CEL rules refuse every spelling of the options
the controller manages, the *notify options, -daemon and section prefixes, and the message names
the entry and the option; ordinary options pass. Server-side dry runs: nothing is stored, so the
controller never sees these networks."""
from kbtest import *

NS = None

# (argument, what the refusal must name): the field is always spec.args[0].
REFUSED = [
    ("--rpcport=1", "-rpcport"),
    ("-rpcport=1", "-rpcport"),
    ("-norpcauth", "-rpcauth"),
    ("-rpcuser=eve", "-rpcuser"),
    ("-rpcpassword=x", "-rpcpassword"),
    ("-noregtest", "-regtest"),
    ("-regtest=0", "-regtest"),
    ("-signet", "-signet"),
    ("-testnet", "-testnet"),
    ("-testnet4", "-testnet4"),
    ("-chain=main", "-chain"),
    ("-conf=x", "-conf"),
    ("-includeconf=x", "-includeconf"),
    ("-datadir=/x", "-datadir"),
    ("-settings=x", "-settings"),
    ("-pid=/x", "-pid"),
    ("-rpccookiefile=x", "-rpccookiefile"),
    ("-rpccookieperms=group", "-rpccookieperms"),
    ("-bind=x", "-bind"),
    ("-whitebind=x", "-whitebind"),
    ("-rpcbind=127.0.0.1", "-rpcbind"),
    ("-rpcallowip=x", "-rpcallowip"),
    ("-server=0", "-server"),
    ("-listen=0", "-listen"),
    ("-port=1", "-port"),
    ("-blocknotify=x", "-blocknotify"),
    ("-alertnotify=x", "-alertnotify"),
    ("-walletnotify=x", "-walletnotify"),
    ("-startupnotify=x", "-startupnotify"),
    ("--noshutdownnotify=1", "-shutdownnotify"),
    ("-daemon", "-daemon"),
    ("-regtest.rpcport=1", "section prefix"),
    ("-main.x", "section prefix"),
    ("txindex", "not a bitcoind option"),
    ("---rpcport=1", "not a bitcoind option"),
]

ACCEPTED = ["-txindex", "-txindex=1", "--txindex", "-fallbackfee=0.0001", "-debug=net", "-nodebug",
            "-listenonion=1", "-uacomment=a.b"]


def dry_run(spec):
    doc = {"apiVersion": GROUP + "/v1", "kind": "BitcoinNetwork",
           "metadata": {"name": "args", "namespace": NS}, "spec": spec}
    return run(["kubectl", "apply", "--dry-run=server", "-f", "-"], input=json.dumps(doc), check=False)


def test_every_spelling_of_a_managed_option_is_refused_naming_it():
    for arg, named in REFUSED:
        code, out, err = dry_run({"nodes": 0, "args": ["-txindex", arg]})
        assert code != 0, "the API server accepted spec.args %s" % arg
        assert "spec.args[1]" in err, "the refusal of %s does not name spec.args[1]: %s" % (arg, err)
        assert named in err, "the refusal of %s does not name %s: %s" % (arg, named, err)
        log("refused %-24s %s" % (arg, err.strip().splitlines()[-1][:200]))


def test_ordinary_options_are_accepted():
    code, out, err = dry_run({"nodes": 0, "args": ACCEPTED})
    assert code == 0, "the API server refused %s: %s" % (ACCEPTED, err)


def test_the_most_arguments_the_schema_allows_stay_within_the_cel_budget():
    longest = "-uacomment=" + "x" * (256 - len("-uacomment="))
    code, out, err = dry_run({"nodes": 0, "args": [longest] * 64})
    assert code == 0, "64 arguments of 256 characters were refused: %s" % err
    code, out, err = dry_run({"nodes": 0, "args": ["-txindex"] * 65})
    assert code != 0 and "spec.args" in err, "65 arguments were accepted"


if __name__ == "__main__":
    NS = fresh_namespace("kbt-args")
    try:
        main([test_every_spelling_of_a_managed_option_is_refused_naming_it, test_ordinary_options_are_accepted,
              test_the_most_arguments_the_schema_allows_stay_within_the_cel_budget])
    finally:
        delete_namespace(NS)
