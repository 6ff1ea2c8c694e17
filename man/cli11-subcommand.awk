# Turns the --help text of one CLI11 subcommand into man-page source: a .SS
# heading NAME (-v name="tq map"), the subcommand's description, its usage,
# and its positionals and options as .TP entries. The footer that follows
# them (CLI11 repeats the program's footer in every subcommand's help) is
# left out: the program's own page has it.
#
# CLI11 prints an entry as "  SPEC" padded to a fixed column, then the text;
# a longer SPEC puts the text on the next line at that column. The column is
# read from the -h,--help entry, which every subcommand has.

function roff(s) {
  gsub(/\\/, "\\e", s)
  gsub(/-/, "\\-", s)
  if (s ~ /^[.']/) s = "\\&" s
  return s
}

# "-j,--jobs,--window UINT:POSITIVE=1000": the names in bold, the rest as is;
# "FN TEXT REQUIRED": the positional's name in italics.
function spec(s, positional,   names, rest, n, parts, i, out) {
  names = s
  rest = ""
  if (match(s, / /)) {
    names = substr(s, 1, RSTART - 1)
    rest = substr(s, RSTART)
  }
  if (positional) return "\\fI" roff(names) "\\fR" roff(rest)
  n = split(names, parts, ",")
  out = ""
  for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") "\\fB" roff(parts[i]) "\\fR"
  return out roff(rest)
}

{ line[NR] = $0 }

END {
  column = 0
  for (i = 1; i <= NR; i++) {
    if (match(line[i], /^  -h,--help +/)) { column = RLENGTH; break }
  }
  if (column == 0) {
    print "cli11-subcommand.awk: no -h,--help entry in the help of " name > "/dev/stderr"
    exit 1
  }

  printf ".SS \"%s\"\n", name
  i = 1
  for (; i <= NR && line[i] !~ /^Usage: /; i++) print roff(line[i])
  if (i <= NR) {
    usage = line[i]
    sub(/^Usage: [^ ]+ [^ ]+/, "", usage)  # the program as it was run, and the subcommand
    printf ".PP\n\\fB%s\\fR%s\n", roff(name), roff(usage)
  }
  positional = 0
  for (i++; i <= NR; i++) {
    if (line[i] == "Positionals:") { positional = 1; continue }
    if (line[i] == "Options:") { positional = 0; continue }
    if (line[i] == "") {
      if (seen_entry && line[i + 1] !~ /^(Positionals|Options):$/) break
      continue
    }
    if (line[i] ~ /^  -h,--help /) { skip = 1; seen_entry = 1; continue }
    if (substr(line[i], 1, column) ~ /^ +$/) {  # the text of the entry above
      if (!skip) print roff(substr(line[i], column + 1))
      continue
    }
    skip = 0
    seen_entry = 1
    entry = substr(line[i], 3, column - 2)
    text = ""
    if (length(line[i]) > column && substr(line[i], column, 1) == " ") {
      text = substr(line[i], column + 1)
    } else {
      entry = substr(line[i], 3)
    }
    sub(/ +$/, "", entry)
    printf ".TP\n%s\n", spec(entry, positional)
    if (text != "") print roff(text)
  }
}
