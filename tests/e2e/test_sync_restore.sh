#!/usr/bin/env bash
# Restoring a node from an old backup: A's data directory is replaced by a
# copy taken before A published its last records. A must learn those back
# from B, and its next record must carry a version above every version it
# ever issued, or B would take it for an old one.
set -euo pipefail
. "$(dirname "$0")/synclib.sh"

LATE=5

setup() {
	sync_node a
	sync_node b
	link a b
	write_linked_confs a b
	start_all a b
	import_sample a evora
	add_many a 3 "before the backup" || fail "adding records on a failed"
	converge "initial sync" "$(total_own a b)" a b || fail "a and b never synced"
}

# backup_a: a consistent copy of A's data directory, taken while A is down.
backup_a() {
	node_stop a || true
	cp -a "$T/a/data" "$T/a/backup"
	node_start a
}

test_restore() {
	local max_before max_after_restore id v total
	backup_a
	say "the backup holds $(count a) records"
	add_many a "$LATE" "after the backup" || fail "adding records on a failed"
	total=$(count a)
	converge "b holds a's newest records" "$total" a b || fail "b never got a's newest records"
	max_before=$(max_version a a)
	say "a's highest version before the restore: $max_before"

	node_stop a || true
	mkdir "$T/a/keys"
	cp -a "$T/a/data/key.pem" "$T/a/data/cert.pem" "$T/a/keys/"
	rm -rf "$T/a/data"
	cp -a "$T/a/backup" "$T/a/data"
	cp -a "$T/a/keys/key.pem" "$T/a/keys/cert.pem" "$T/a/data/"
	node_start a

	converge "a learns its newest records back from b" "$total" a b || true
	max_after_restore=$(max_version a a)
	check "a holds its own highest version $max_before again (has $max_after_restore)" \
		test "$max_after_restore" -eq "$max_before"

	id=$(add_record a "First record after the restore") || fail "add on the restored a failed"
	v=$(version_of a "$id")
	check "the new record's version ($v) is above every earlier version of a ($max_before)" \
		test "$v" -gt "$max_before"
	if wait_for "$SYNC_TIMEOUT" test_has_version b "$id" "$v"; then
		pass
	else
		_bad "b did not accept a's post-restore record $id (version $v); b has '$(version_of b "$id")'"
		diagnose a b
	fi
	converge "after the post-restore record" $((total + 1)) a b || true
}

test_has_version() { [[ $(version_of "$1" "$2") == "$3" ]]; }

setup
test_restore
finish
