#!/bin/sh
# Installed as /usr/local/bin/bitcoind and /usr/local/bin/bitcoin-cli when the image carries
# the Bitcoin SV node (the only Bitcoin node binary the package registries here serve; see
# hack/README.md). It makes that node accept a Bitcoin Core command line:
#   -chain=NAME becomes -NAME (-chain is unknown to it; it would run mainnet);
#   with -regtest and no -rpcport, -rpcport=18443 (Core's regtest RPC port; its own is 18332);
#   bitcoind only: the settings it refuses to start without, unless given; -maxmempool below its
#   minimum of 300 (MB) becomes 300 (it only caps the pool: nothing is allocated up front).
# Every translation is printed to stderr, so the container log shows it.
real_dir=/opt/bitcoin-sv/bin
name=$(basename "$0")
daemon=0
[ "$name" = bitcoind ] && daemon=1

regtest=0 port=0 have_ebs=0 have_msm=0 have_mmtf=0 in_options=1
first=1
for a in "$@"; do
	if [ $first = 1 ]; then set --; first=0; fi
	if [ $in_options = 1 ]; then
		case $a in
		-*) ;;
		*)
			# bitcoin-cli: the method and its parameters follow.
			if [ $regtest = 1 ] && [ $port = 0 ]; then set -- "$@" -rpcport=18443; port=1; fi
			in_options=0
			;;
		esac
	fi
	if [ $in_options = 1 ]; then
		opt=${a#-}
		opt=${opt#-}
		case $opt in
		chain=main) echo "[sv-compat] dropped $a" >&2; continue ;;
		chain=*)
			a="-${opt#chain=}"
			opt=${opt#chain=}
			echo "[sv-compat] translated -chain=$opt to $a" >&2
			;;
		esac
		case $opt in
		maxmempool=*)
			if [ $daemon = 1 ] && [ "${opt#maxmempool=}" -lt 300 ] 2>/dev/null; then
				echo "[sv-compat] raised $a to -maxmempool=300 (the minimum of this node)" >&2
				a=-maxmempool=300
			fi
			;;
		regtest | regtest=1) regtest=1 ;;
		rpcport=*) port=1 ;;
		excessiveblocksize=*) have_ebs=1 ;;
		maxstackmemoryusageconsensus=*) have_msm=1 ;;
		minminingtxfee=*) have_mmtf=1 ;;
		esac
	fi
	set -- "$@" "$a"
done
if [ $in_options = 1 ] && [ $regtest = 1 ] && [ $port = 0 ]; then
	set -- "$@" -rpcport=18443
fi
if [ $daemon = 1 ]; then
	[ $have_ebs = 1 ] || set -- "$@" -excessiveblocksize=0
	[ $have_msm = 1 ] || set -- "$@" -maxstackmemoryusageconsensus=0
	[ $have_mmtf = 1 ] || set -- "$@" -minminingtxfee=0.00000500
	echo "[sv-compat] exec $real_dir/bitcoind with the Bitcoin SV settings it requires added" >&2
fi
exec "$real_dir/$name" "$@"
