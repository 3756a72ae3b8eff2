#!/bin/bash
# The default network: an own namespace with only lo, up; loopback servers work.
. "$(dirname "$0")/lib.sh"
start_supervisor

assert_eq "lo up" "$(in_sandbox -- net)" "only lo, and it is up"
assert_contains "$("$N" run -- cat /proc/net/route)" "Iface" "no routes besides the header"
assert_eq 1 "$("$N" run -- cat /proc/net/route | wc -l)" "routing table is empty"
finish
