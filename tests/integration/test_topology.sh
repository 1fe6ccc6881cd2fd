#!/usr/bin/env bash
# Topology can be undone (SPEC §11.1): `node delete FQDN [--force]`, `cluster delete NAME`,
# `cluster list`. A refused delete changes nothing (cert list, node list byte-identical) and is
# audited; a deleted node takes its self-signed copies out of its peers' trust stores; a forced
# delete of a publisher is audited as forced.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1

PUB=ucm-pub.example.com
SUB=ucm-sub.example.com
IMP=imp-pub.example.com
new_store
must "cluster add uc" cluster add uc
must "cluster add spare" cluster add spare --fqdn spare.example.com
must "node add publisher" node add $PUB --cluster uc --product ucm --publisher
must "node add subscriber" node add $SUB --cluster uc --product ucm
must "node add imp" node add $IMP --cluster uc --product imp --publisher

cfx --json cluster list
assert_eq "cluster list: names, FQDNs, node counts" "cl1||0 spare|spare.example.com|0 uc||3" \
	"$(json '" ".join("%s|%s|%d" % (c["name"], c["fqdn"], c["nodes"]) for c in d["items"])' <"$LAST")"
cfx cluster list
assert_contains "cluster list text" "spare.example.com" "$OUT"

snap() { cf --json cert list; cf --json node list; cf --json cluster list; }
# copies_of FQDN: its self-signed copies in the trust stores of the other nodes
copies_of() { cf --json cert list | json "sum(1 for i in d['items'] if 'store' in i and i['cn'] == '$1' and i['node'] != '$1')"; }
BEFORE=$(snap)

# refusals: unknown (4), a publisher with peers (5), a cluster with nodes (5); nothing changes
cfx node delete nosuch.example.com
expect_rc "unknown node" 4
cfx node delete $PUB
expect_rc "publisher with peers" 5
assert_contains "the refusal names the cluster and how to go on" "cluster uc" "$ERR"
assert_contains "the refusal names --force" "force" "$ERR"
cfx cluster delete uc
expect_rc "cluster with nodes" 5
assert_contains "the refusal counts the nodes" "3 nodes" "$ERR"
cfx cluster delete nosuch
expect_rc "unknown cluster" 4
cfx node delete
expect_rc "node delete without a node" 2
assert_contains "usage names the whole command" "node delete" "$ERR"
assert_eq "refusals change nothing" "$BEFORE" "$(snap)"
cfx --json audit --limit 4
assert_eq "refusals are audited" "cluster delete|nosuch|refused cluster delete|uc|refused node delete|$PUB|refused node delete|nosuch.example.com|refused" \
	"$(json '" ".join("%s|%s|%s" % (r["action"], r["object"], "ok" if r["result"] == "ok" else "refused") for r in d["items"])' <"$LAST")"

# a subscriber: gone with its certificates; its self-signed copies leave the peers' stores
N_COPIES=$(copies_of $SUB)
assert_eq "the subscriber's self-signed copies are on its peers" 1 "$([ "$N_COPIES" -ge 2 ] && echo 1 || echo 0)"
cfx --json node delete $SUB
expect_rc "node delete subscriber" 0
assert_eq "answer: the copies it took out" "$N_COPIES" "$(json 'len(d["trust_copies_deleted"])' <"$LAST")"
assert_eq "answer: a restart plan for the peers" True "$(json 'len(d["restart_plan"]) > 0' <"$LAST")"
assert_eq "no certificate of the subscriber is left" 0 "$(cf --json cert list | json "sum(1 for i in d['items'] if i['node'] == '$SUB' or i['cn'] == '$SUB')")"
assert_eq "node list without it" "$IMP $PUB" "$(cf --json node list | json '" ".join(sorted(n["fqdn"] for n in d["items"]))')"

# a forced publisher delete: done, audited as forced
cfx node delete $PUB --force
expect_rc "forced publisher delete" 0
cfx --json audit --limit 1
assert_eq "audited as forced" "node delete|$PUB (forced)|ok" \
	"$(json '"%s|%s|%s" % (d["items"][0]["action"], d["items"][0]["object"], d["items"][0]["result"])' <"$LAST")"
must "node delete the last node" node delete $IMP
must "cluster delete uc" cluster delete uc
must "cluster delete spare" cluster delete spare
cfx --json cluster list
assert_eq "only the untouched cluster is left" "cl1" "$(json '" ".join(c["name"] for c in d["items"])' <"$LAST")"
# the store is whole: no row refers to a node or cluster that is gone (on either engine); SQLite also
# checks its file (PostgreSQL checks its own pages, and enforces foreign keys on every statement)
assert_eq "no orphaned rows" "0|0|0|0" "$(store_sql "SELECT
	(SELECT count(*) FROM nodes n LEFT JOIN clusters c ON c.id = n.cluster_id WHERE c.id IS NULL),
	(SELECT count(*) FROM cluster_settings s LEFT JOIN clusters c ON c.id = s.cluster_id WHERE c.id IS NULL),
	(SELECT count(*) FROM certificates x LEFT JOIN nodes n ON n.id = x.node_id WHERE n.id IS NULL),
	(SELECT count(*) FROM csrs x LEFT JOIN nodes n ON n.id = x.node_id WHERE n.id IS NULL)")"
if [ "$(store_engine)" = sqlite ]; then
	assert_eq "store integrity" ok "$(store_sql 'PRAGMA integrity_check; PRAGMA foreign_key_check;')"
fi
finish
