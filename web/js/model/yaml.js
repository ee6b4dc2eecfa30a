// A small YAML writer for exporting workflows (the server reads YAML on import through Yams).
// Block style for objects and arrays; a string is written plain only when YAML 1.2's core
// schema would read it back as the same string, and double-quoted (JSON escapes are valid
// YAML escapes) otherwise.

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_ ./@+-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~|\.nan|\.inf|-\.inf)$/i;

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  const s = String(v);
  if (s !== '' && PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(' ') && !/ #|: /.test(s)) return s;
  return JSON.stringify(s);
}

function key(k) {
  return PLAIN.test(k) && !RESERVED.test(k) && !k.includes(' ') ? k : JSON.stringify(k);
}

function isEmpty(v) {
  return (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

function emit(v, indent, lines, prefix) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(v) && v.length) {
    if (prefix !== null) lines.push(prefix);
    for (const item of v) {
      if (item && typeof item === 'object' && !isEmpty(item)) {
        const sub = [];
        emit(item, indent + 1, sub, null);
        sub[0] = `${pad}- ${sub[0].trimStart()}`;
        lines.push(...sub);
      } else lines.push(`${pad}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
    }
    return;
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
    if (prefix !== null) lines.push(prefix);
    for (const [k, val] of Object.entries(v)) {
      if (val && typeof val === 'object' && !isEmpty(val)) emit(val, indent + 1, lines, `${pad}${key(k)}:`);
      else lines.push(`${pad}${key(k)}: ${isEmpty(val) ? (Array.isArray(val) ? '[]' : '{}') : scalar(val)}`);
    }
    return;
  }
  lines.push(`${prefix ?? pad}${prefix ? ' ' : ''}${isEmpty(v) ? (Array.isArray(v) ? '[]' : '{}') : scalar(v)}`);
}

/** The YAML text of a JSON value. */
export function toYAML(value) {
  const lines = [];
  emit(value, 0, lines, null);
  return `${lines.join('\n')}\n`;
}
