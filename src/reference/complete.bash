# The bash side of nsbox's completion: walks the words typed so far with the tables that
# `nsbox completion bash` writes above this code (src/reference/completion-bash.ts).
# The scope of a flag: the command's word, then the command, then the plugin's run flags.
_nsbox_lookup() {
  local table=$1 flag=$2 key
  for key in "$_nsbox_cmd $_nsbox_word" "$_nsbox_cmd" "plugin:$_nsbox_plugin"; do
    [[ $key == "plugin:" ]] && continue
    local -n _t=$table
    if [[ -n ${_t["$key $flag"]+set} ]]; then
      REPLY=${_t["$key $flag"]}
      return 0
    fi
  done
  return 1
}

_nsbox_complete_value() {
  local kind=$1 cur=$2
  case $kind in
    @file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    @dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    @any) COMPREPLY=() ;;
    *) mapfile -t COMPREPLY < <(compgen -W "${kind//|/ }" -- "$cur") ;;
  esac
}

_nsbox() {
  local cur=${COMP_WORDS[COMP_CWORD]} i=1 w n
  _nsbox_cmd='' _nsbox_word='' _nsbox_plugin=''
  local after=-1
  while ((i < COMP_CWORD)); do
    w=${COMP_WORDS[i]}
    if [[ -z $_nsbox_cmd ]]; then
      [[ $w != -* ]] && _nsbox_cmd=$w
      ((i++))
      continue
    fi
    if [[ $w == -- ]]; then
      after=$i
      break
    fi
    if [[ $w == --* && $w != *=* ]]; then
      n=0
      _nsbox_lookup _nsbox_arity "$w" && n=$REPLY
      [[ $w == --plugin ]] && _nsbox_plugin=${COMP_WORDS[i + 1]}
      if ((i + n >= COMP_CWORD)); then
        # The word being completed is value number COMP_CWORD-i of this flag.
        _nsbox_lookup _nsbox_values "$w" || return 0
        local kinds=($REPLY)
        _nsbox_complete_value "${kinds[COMP_CWORD - i - 1]}" "$cur"
        return 0
      fi
      ((i += n + 1))
      continue
    fi
    if [[ -z $_nsbox_word && " ${_nsbox_words[$_nsbox_cmd]} " == *" $w "* ]]; then
      _nsbox_word=$w
    elif [[ ${_nsbox_runs[$_nsbox_cmd]} == bare ]]; then
      after=$((i - 1)) # the command started without --
      break
    fi
    ((i++))
  done
  if [[ -z $_nsbox_cmd ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_nsbox_commands $_nsbox_global" -- "$cur")
    return 0
  fi
  if ((after >= 0)); then
    if ((COMP_CWORD == after + 1)); then
      mapfile -t COMPREPLY < <(compgen -c -- "$cur")
    else
      compopt -o default 2>/dev/null
      COMPREPLY=()
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    local flags=${_nsbox_flags["$_nsbox_cmd $_nsbox_word"]-${_nsbox_flags[$_nsbox_cmd]}}
    [[ -n $_nsbox_plugin ]] && flags+=" ${_nsbox_flags["plugin:$_nsbox_plugin"]}"
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
    return 0
  fi
  if [[ -z $_nsbox_word && -n ${_nsbox_words[$_nsbox_cmd]} ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${_nsbox_words[$_nsbox_cmd]}" -- "$cur")
  elif [[ $_nsbox_cmd == help ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_nsbox_commands" -- "$cur")
  elif [[ ${_nsbox_runs[$_nsbox_cmd]} == bare ]]; then
    mapfile -t COMPREPLY < <(compgen -c -- "$cur")
  else
    compopt -o default 2>/dev/null
    COMPREPLY=()
  fi
}

complete -F _nsbox nsbox
