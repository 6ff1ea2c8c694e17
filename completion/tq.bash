# Bash completion for tq, the client of the tq task-queue daemon: its
# commands, each command's flags, and the values of --endpoint, --retry-on,
# --cwd and --env; after "--" a program to run, then files.
#
# Installed as share/bash-completion/completions/tq, which bash-completion
# loads the first time tq is completed; without bash-completion, source
# this file from ~/.bashrc. It needs nothing from bash-completion.
#
# The lists follow client/cli/main.cc: tests/install/completion_test.sh
# fails when `tq --help` or `tq COMMAND --help` lists a command or a flag
# that is missing here.

# _tq_offer FLAGS WORDS: completes the word being typed ($cur, _tq's) from
# FLAGS when it starts with "-", else from WORDS.
_tq_offer() {
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$2" -- "$cur")
  fi
}

_tq() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local commands="call submit map wait status stats top workers functions cancel kick ping keygen
    dict list queue"
  local global_flags="-h --help --version --endpoint --connect-timeout"
  local task_flags="--priority --timeout --delay --retries --retry-on --retry-backoff
    --durable --no-durable"
  local progress_flags="--progress --no-progress"
  local command_flags="--cwd --env --env-all"  # for a command after --
  # Flags followed by a value that has no completion (a number, a key).
  local takes_number="--connect-timeout --priority --timeout --delay --retries
    --retry-backoff --key -j --jobs --window --name -n --count"
  COMPREPLY=()

  # Find the command; after "--" the rest is a command line for exec.
  local i word command= object_command=
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == -- ]]; then
      if ((i == COMP_CWORD - 1)); then
        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
      else
        compopt -o default 2>/dev/null  # its arguments: files, as readline does
      fi
      return
    fi
    if [[ -z $command ]]; then
      case $word in
        --endpoint | --connect-timeout) ((i++)) ;;
        -*) ;;
        *) command=$word ;;
      esac
    elif [[ -z $object_command && $word != -* ]]; then
      object_command=$word  # dict, list, queue: their own command
    fi
  done

  case $prev in
    --endpoint)
      mapfile -t COMPREPLY < <(compgen -W "ipc:// tcp://" -- "$cur")
      compopt -o nospace 2>/dev/null
      return
      ;;
    --cwd)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return
      ;;
    --env)
      mapfile -t COMPREPLY < <(compgen -v -- "$cur")
      return
      ;;
    --retry-on)
      # A comma-separated list: complete the part after the last comma.
      local done_part=${cur%"${cur##*,}"}
      mapfile -t COMPREPLY < <(compgen -P "$done_part" -W "failed lost timed_out" -- "${cur##*,}")
      return
      ;;
  esac
  local flag
  for flag in $takes_number; do
    [[ $prev == "$flag" ]] && return
  done

  if [[ -z $command ]]; then
    _tq_offer "$global_flags" "$commands"
    return
  fi

  local flags=
  case $command in
    call) flags="$task_flags --key --name --detach" ;;
    submit) flags="--wait $task_flags --key --name --detach $command_flags $progress_flags --" ;;
    map) flags="-j --jobs --window -k --keep-order --unordered --halt-on-error
      --name --status $task_flags --detach $command_flags $progress_flags --" ;;
    wait) flags="--timeout --json" ;;
    status | workers | functions) flags="--json" ;;
    stats) flags="--json --prometheus" ;;
    cancel | kick | ping | top) ;;
    keygen) flags="--force" ;;
    dict | list | queue)
      # First the object command, then its flags (NAME and values have none).
      local subcommands
      case $command in
        dict) subcommands="get set incr del keys items size" ;;
        list) subcommands="append get len" ;;
        queue) subcommands="put get size" ;;
      esac
      if [[ -z $object_command ]]; then
        _tq_offer "-h --help" "$subcommands"
        return
      fi
      case $command/$object_command in
        queue/put) flags="--timeout" ;;
        queue/get) flags="--timeout -n --count" ;;
      esac
      ;;
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "-h --help $flags" -- "$cur")
  fi
}

complete -F _tq tq
