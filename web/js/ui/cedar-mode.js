// A small CodeMirror 5 mode for Cedar policies: effects and scope keywords, operators,
// strings, entity references (Type::"id"), annotations and // comments.
import { continueString } from './mode-strings.js';
export function defineCedarMode(CodeMirror) {
  if (!CodeMirror || CodeMirror.modes.cedar) return;
  const keywords = new Set(['permit', 'forbid', 'when', 'unless', 'if', 'then', 'else', 'in', 'has', 'like', 'is']);
  const variables = new Set(['principal', 'action', 'resource', 'context']);
  const atoms = new Set(['true', 'false']);
  CodeMirror.defineMode('cedar', () => ({
    startState: () => ({ inString: false }),
    token(stream, state) {
      if (state.inString) return continueString(stream, state);
      if (stream.eatSpace()) return null;
      if (stream.match('//')) {
        stream.skipToEnd();
        return 'comment';
      }
      if (stream.eat('"')) {
        state.inString = true;
        return this.token(stream, state);
      }
      if (stream.match(/^@[A-Za-z_][A-Za-z0-9_]*/)) return 'meta';
      if (stream.match(/^-?\d+/)) return 'number';
      if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*::(?=")/)) return 'type';
      const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
      if (word) {
        if (keywords.has(word[0])) return 'keyword';
        if (variables.has(word[0])) return 'variable-2';
        if (atoms.has(word[0])) return 'atom';
        return 'variable';
      }
      if (stream.match(/^(==|!=|<=|>=|&&|\|\||[<>!+\-*])/)) return 'operator';
      stream.next();
      return null;
    },
    lineComment: '//',
  }));
}
