#!/usr/bin/env bash
# completion_test.sh TQ COMPLETION: the bash completion offers every
# command that `TQ --help` lists, every flag of `TQ --help` before a
# command, and every flag of `TQ COMMAND --help` after it; and it completes
# --retry-on's list and the program after "--". It runs the completion
# function itself, as bash would on TAB.
set -euo pipefail
tq=$1
completion=$2
# shellcheck source=/dev/null
source "$completion"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# complete WORD...: what TAB offers after the words (the last one is the
# word being completed), one per line.
complete_words() {
  COMP_WORDS=(tq "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _tq
  printf '%s\n' "${COMPREPLY[@]}"
}

# flags_of HELP_TEXT: the flag names of CLI11's "Options:" entries.
flags_of() {
  printf '%s\n' "$1" | sed -n '/^Options:$/,/^$/p' |
    sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n'
}

# expect_all WHAT EXPECTED OFFERED: every line of EXPECTED is in OFFERED.
expect_all() {
  local what=$1 expected=$2 offered=$3 item
  [ -n "$expected" ] || fail "$what: found nothing to expect in the help text"
  while IFS= read -r item; do
    [ -n "$item" ] || continue
    grep -qxF -- "$item" <<<"$offered" || fail "$what: '$item' is not offered (offered: $(echo $offered))"
  done <<<"$expected"
}

help=$("$tq" --help)
commands=$(printf '%s\n' "$help" | sed -n '/^Subcommands:$/,/^$/{s/^  \([^ ][^ ]*\) .*/\1/p}')
expect_all "tq <TAB>" "$commands" "$(complete_words "")"
expect_all "tq -<TAB>" "$(flags_of "$help")" "$(complete_words -)"

for command in $commands; do
  expect_all "tq $command -<TAB>" "$(flags_of "$("$tq" "$command" --help)")" \
    "$(complete_words --endpoint ipc:///x "$command" -)"
done

# Values and the command line after "--".
[ "$(complete_words call --retry-on failed,ti)" = "failed,timed_out" ] ||
  fail "tq call --retry-on failed,ti<TAB> does not give failed,timed_out"
grep -qx bash <<<"$(complete_words map -- bas)" || fail "tq map -- bas<TAB> does not offer bash"
[ -z "$(complete_words call --priority "")" ] || fail "tq call --priority <TAB> offers words"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s): add the missing commands or flags to $completion" >&2
  exit 1
fi
echo "completion offers all $(echo $commands | wc -w) commands of tq --help and their flags"
