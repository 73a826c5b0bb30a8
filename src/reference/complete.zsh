# The zsh side of nsbox's completion: walks the words typed so far with the tables that
# `nsbox completion zsh` writes above this code (src/reference/completion-zsh.ts).
# Looks up "$table[$scope $flag]" in the word's, the command's, then the plugin's scope.
_nsbox_lookup() {
  local table=$1 flag=$2 key
  for key in "$_nsbox_cmd $_nsbox_word" "$_nsbox_cmd" "plugin:$_nsbox_plugin"; do
    [[ $key == "plugin:" ]] && continue
    if eval "(( \${+${table}[\$key \$flag]} ))"; then
      eval "REPLY=\${${table}[\$key \$flag]}"
      return 0
    fi
  done
  return 1
}

_nsbox_value() {
  case $1 in
    @file) _files ;;
    @dir) _files -/ ;;
    @any) _message 'value' ;;
    *) compadd -- ${(s:|:)1} ;;
  esac
}

_nsbox() {
  local i=2 w n after=0 REPLY
  local _nsbox_cmd='' _nsbox_word='' _nsbox_plugin=''
  while (( i < CURRENT )); do
    w=${words[i]}
    if [[ -z $_nsbox_cmd ]]; then
      [[ $w != -* ]] && _nsbox_cmd=$w
      (( i++ ))
      continue
    fi
    if [[ $w == -- ]]; then
      after=$i
      break
    fi
    if [[ $w == --* && $w != *=* ]]; then
      n=0
      _nsbox_lookup _nsbox_arity $w && n=$REPLY
      [[ $w == --plugin ]] && _nsbox_plugin=${words[i+1]}
      if (( i + n >= CURRENT )); then
        _nsbox_lookup _nsbox_values $w || return 0
        local -a kinds=(${=REPLY})
        _nsbox_value ${kinds[CURRENT - i]}
        return
      fi
      (( i += n + 1 ))
      continue
    fi
    if [[ -z $_nsbox_word && " ${_nsbox_words[$_nsbox_cmd]} " == *" $w "* ]]; then
      _nsbox_word=$w
    elif [[ ${_nsbox_runs[$_nsbox_cmd]} == bare ]]; then
      after=$(( i - 1 ))
      break
    fi
    (( i++ ))
  done
  if [[ -z $_nsbox_cmd ]]; then
    local -a cmds=("${(@f)_nsbox_command_menu}")
    _describe -t commands 'nsbox command' cmds
    compadd -- ${=_nsbox_global}
    return
  fi
  if (( after > 0 )); then
    # The command being run: completed as if typed on its own.
    words=("${(@)words[after+1,-1]}")
    (( CURRENT -= after ))
    _normal
    return
  fi
  if [[ ${words[CURRENT]} == -* ]]; then
    local key="$_nsbox_cmd $_nsbox_word"
    (( ${+_nsbox_flag_menu[$key]} )) || key=$_nsbox_cmd
    local -a flags=("${(@f)_nsbox_flag_menu[$key]}")
    [[ -n $_nsbox_plugin ]] && (( ${+_nsbox_flag_menu[plugin:$_nsbox_plugin]} )) && flags+=("${(@f)_nsbox_flag_menu[plugin:$_nsbox_plugin]}")
    _describe -t flags 'option' flags
    return
  fi
  if [[ -z $_nsbox_word && -n ${_nsbox_words[$_nsbox_cmd]} ]]; then
    compadd -- ${=_nsbox_words[$_nsbox_cmd]}
  elif [[ $_nsbox_cmd == help ]]; then
    local -a cmds=("${(@f)_nsbox_command_menu}")
    _describe -t commands 'nsbox command' cmds
  elif [[ ${_nsbox_runs[$_nsbox_cmd]} == bare ]]; then
    _command_names -e
  else
    _files
  fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _nsbox "$@"
else
  compdef _nsbox nsbox
fi
