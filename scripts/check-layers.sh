#!/bin/sh
# check-layers: the layer rule of DESIGN §2, checked on every lib/*/*.c and .h
# and on the includes of every cmd/*/*.c (a tool may include any folder, but
# always as "folder/x.h" and only the folders that exist).
#
#   check-layers.sh [ROOT]     ROOT: the tree to check (default: this repository)
#
# A lib folder includes only its own headers and those of folders before it in
# util < eif < attest < policy < nsm < kms < sim < tool, always as "folder/x.h".
# Below tool/ the library never prints or exits (it reports through err values
# and the log sink): no printf family, puts, perror, exit, no stdout/stderr.
# Comments and string literals are skipped.  Prints one "file:line: why" per
# violation; exits 1 when there is one, 2 when ROOT holds no lib/*/*.[ch].
set -u
LAYERS="util eif attest policy nsm kms sim tool"

root=${1:-$(dirname "$0")/..}
cd "$root" 2>/dev/null || { echo "check-layers: cannot enter '$root'" >&2; exit 2; }
set --
for f in lib/*/*.[ch] cmd/*/*.c; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ $# -gt 0 ] || { echo "check-layers: no lib/*/*.c or lib/*/*.h under '$root'" >&2; exit 2; }

exec awk -v layers="$LAYERS" '
BEGIN {
	n = split(layers, name, " ")
	order = name[1]
	for (i = 1; i <= n; i++) {
		rank[name[i]] = i
		if (i > 1)
			order = order " < " name[i]
	}
	order = "(layers: " order ")"
	why = ": only lib/tool and cmd/ print or exit (report through err values and util/log.h)"
	bad = files = 0
}

function report(msg) {
	print FILENAME ":" FNR ": " msg
	bad++
}

# The line without comments and with string and character literals emptied;
# incomment carries a block comment over to the next line.
function code(s,    out, c, i, q) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (incomment) {
			if (c == "*" && substr(s, i + 1, 1) == "/") {
				incomment = 0
				i++
			}
			continue
		}
		if (c == "/" && substr(s, i + 1, 1) == "*") {
			incomment = 1
			i++
			out = out " "
			continue
		}
		if (c == "/" && substr(s, i + 1, 1) == "/")
			break
		if (c == "\"" || c == "\047") {
			q = c
			for (i++; i <= length(s) && substr(s, i, 1) != q; i++)
				if (substr(s, i, 1) == "\\")
					i++
			out = out q q
			continue
		}
		out = out c
	}
	return out
}

FNR == 1 {
	files++
	incomment = 0
	split(FILENAME, part, "/")
	top = part[1]
	dir = top == "cmd" ? "cmd/" part[2] : "lib/" part[2]
	own = top == "cmd" ? n + 1 : (part[2] in rank) ? rank[part[2]] : 0
	if (!own)
		report(dir " is not a layer " order)
}

# An include outside a comment: its folder must be this one or an earlier one.
!incomment && /^[ \t]*#[ \t]*include[ \t]*"/ {
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*$/, "", inc)
	slash = index(inc, "/")
	to = slash ? substr(inc, 1, slash - 1) : ""
	if (!slash)
		report(dir " includes \"" inc "\" without its folder " order)
	else if (!(to in rank))
		report(dir " includes \"" inc "\": no layer \"" to "\" " order)
	else if (own && rank[to] > own)
		report(dir " includes \"" inc "\" " order)
	next
}

{
	line = code($0)
	if (!own || own >= rank["tool"])
		next
	if (match(line, /(^|[^A-Za-z0-9_])(v?f?printf|v?dprintf|f?puts|putc|fputc|putchar|fwrite|perror|_?exit|_Exit)[ \t]*\(/)) {
		call = substr(line, RSTART, RLENGTH)
		sub(/^[^A-Za-z_]/, "", call)
		sub(/[ \t]*\($/, "", call)
		report(dir " calls " call "()" why)
	} else if (match(line, /(^|[^A-Za-z0-9_])std(out|err)([^A-Za-z0-9_]|$)/)) {
		stream = index(substr(line, RSTART, RLENGTH), "stdout") ? "stdout" : "stderr"
		report(dir " uses " stream why)
	}
}

END {
	if (bad) {
		print "check-layers: " bad " violation" (bad == 1 ? "" : "s") " in " files " files " order > "/dev/stderr"
		exit 1
	}
	print "check-layers: " files " files, no violation " order
}
' "$@"
