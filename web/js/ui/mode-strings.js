// Pieces shared by the small CodeMirror 5 modes (jq, Cedar).

// Reads the rest of a double-quoted string (backslash escapes skipped), which may continue
// from an earlier line; clears `state.inString` at the closing quote. Returns the token style.
export function continueString(stream, state) {
  while (!stream.eol()) {
    const ch = stream.next();
    if (ch === '\\') stream.next();
    else if (ch === '"') {
      state.inString = false;
      break;
    }
  }
  return 'string';
}
