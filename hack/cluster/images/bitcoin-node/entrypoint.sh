#!/bin/bash
# Entrypoint of the local cluster's Bitcoin node image. It behaves as the official
# bitcoin/bitcoin image documents its entrypoint, so that what works here works there:
#   - arguments that start with "-" are options for bitcoind ("bitcoind" is put in front);
#   - UID / GID (bash always sets UID to the caller's uid) re-number the bitcoin user, which
#     needs root: run as another user, this fails and the container exits 1, as it does with
#     the official image;
#   - for bitcoind, BITCOIN_DATA is created and handed to the bitcoin user, and
#     -datadir=$BITCOIN_DATA is appended (the last -datadir wins in Bitcoin Core, so it
#     overrides one given in the arguments);
#   - bitcoind, bitcoin-cli and bitcoin-tx run as the bitcoin user (gosu); anything else runs
#     as given.
# A pod that sets `command` replaces this script altogether.
set -e

if [[ -n ${UID+x} && ${UID} != 0 ]]; then
	usermod -u "$UID" bitcoin
fi
if [[ -n ${GID+x} && ${GID} != 0 ]]; then
	groupmod -g "$GID" bitcoin
fi
echo "$0: assuming uid:gid for bitcoin:bitcoin of $(id -u bitcoin):$(id -g bitcoin)"

if [[ ${1:0:1} == - ]]; then
	echo "$0: assuming arguments for bitcoind"
	set -- bitcoind "$@"
fi

if [[ $1 == bitcoind ]]; then
	mkdir -p "$BITCOIN_DATA"
	chmod 700 "$BITCOIN_DATA"
	chown -R bitcoin:bitcoin "$(getent passwd bitcoin | cut -d: -f6)" "$BITCOIN_DATA"
	echo "$0: setting data directory to $BITCOIN_DATA"
	set -- "$@" -datadir="$BITCOIN_DATA"
fi

case $1 in
bitcoind | bitcoin-cli | bitcoin-tx)
	echo
	exec gosu bitcoin "$@"
	;;
esac
echo
exec "$@"
