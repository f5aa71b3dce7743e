#!/usr/bin/env bash
# The edge guard (src/server/guard.c) reads libh2o's HTTP/2 connection from outside and its
# defences were proven by the flood suite against one build of libh2o: Debian bookworm's
# 2.2.5+dfsg2-7. Another build may change what the guard relies on, so CI stops here until
# tests/integration/test_hardening_*.py have been run against it and this pin moved.
set -euo pipefail
pinned=$(cat "$(dirname "$0")/../cmake/libh2o.pin")
status=0
for pkg in libh2o-evloop-dev libh2o-evloop0.13 libh2o-dev-common; do
    installed=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo "not installed")
    if [ "$installed" != "$pinned" ]; then
        echo "libh2o pin: $pkg is $installed, the edge guard was tested against $pinned (cmake/libh2o.pin)" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "libh2o pin: $pinned installed, as tested"
exit $status
