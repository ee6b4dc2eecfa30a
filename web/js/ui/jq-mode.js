// A small CodeMirror 5 mode for jq programs (Debian's CodeMirror has none): strings with
// \( ) interpolation kept simple, numbers, keywords, builtins, $variables, .paths, comments.
import { continueString } from './mode-strings.js';
export function defineJqMode(CodeMirror) {
  if (!CodeMirror || CodeMirror.modes.jq) return;
  const keywords = new Set(['def', 'if', 'then', 'elif', 'else', 'end', 'as', 'reduce', 'foreach', 'try', 'catch', 'label', 'import', 'include', 'and', 'or', 'not', '__loc__']);
  const atoms = new Set(['true', 'false', 'null']);
  const builtins = new Set(['map', 'select', 'length', 'keys', 'values', 'has', 'in', 'add', 'any', 'all', 'range', 'floor', 'sqrt', 'tostring', 'tonumber', 'type', 'sort', 'sort_by', 'group_by', 'unique', 'unique_by', 'min', 'max', 'min_by', 'max_by', 'reverse', 'contains', 'split', 'join', 'test', 'match', 'capture', 'sub', 'gsub', 'ascii_downcase', 'ascii_upcase', 'to_entries', 'from_entries', 'with_entries', 'paths', 'leaf_paths', 'flatten', 'empty', 'error', 'env', 'now', 'todate', 'fromdate', 'strftime', 'strptime', 'mktime', 'gmtime', 'tojson', 'fromjson', 'first', 'last', 'limit', 'until', 'while', 'recurse', 'getpath', 'setpath', 'delpaths', 'del', 'startswith', 'endswith', 'ltrimstr', 'rtrimstr', 'splits', 'input', 'inputs', 'debug', 'stderr', 'objects', 'arrays', 'strings', 'numbers', 'booleans', 'nulls', 'iterables', 'scalars', 'isnan', 'infinite', 'nan', 'not', 'tostream', 'fromstream', 'truncate_stream', 'ascii', 'implode', 'explode', '@base64', '@csv', '@tsv', '@json', '@text', '@html', '@uri', '@sh', '@base64d']);
  CodeMirror.defineMode('jq', () => ({
    startState: () => ({ inString: false }),
    token(stream, state) {
      if (state.inString) return continueString(stream, state);
      if (stream.eatSpace()) return null;
      if (stream.peek() === '#') {
        stream.skipToEnd();
        return 'comment';
      }
      if (stream.eat('"')) {
        state.inString = true;
        return this.token(stream, state);
      }
      if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?/)) return 'number';
      if (stream.match(/^\$[A-Za-z_][A-Za-z0-9_]*/)) return 'variable-2';
      if (stream.match(/^@[a-z0-9]+/)) return 'builtin';
      if (stream.match(/^\.[A-Za-z_][A-Za-z0-9_]*/)) return 'property';
      const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
      if (word) {
        if (keywords.has(word[0])) return 'keyword';
        if (atoms.has(word[0])) return 'atom';
        if (builtins.has(word[0])) return 'builtin';
        return 'variable';
      }
      if (stream.match(/^(\|=|\+=|-=|\*=|\/=|\/\/=|==|!=|<=|>=|\/\/|\?\/\/|[|,+\-*\/%<>=?])/)) return 'operator';
      stream.next();
      return null;
    },
    lineComment: '#',
  }));
  CodeMirror.defineMIME('text/x-jq', 'jq');
}
