// Thin shim over Debian's system libsqlite3 (libsqlite3-dev, 3.40.1). The main package also
// links sqlite-nio, whose bundled copy prefixes every symbol with `sqlite_nio_`, so the two
// libraries never resolve each other's symbols; do not import both modules in one Swift file,
// because their headers share the `SQLITE3_H` include guard and the `SQLITE_*` macro names.
#ifndef FLOWGATE_CSQLITE_H
#define FLOWGATE_CSQLITE_H

// The Engine module sees this module and sqlite-nio's VaporCSQLite (through Store) in one
// compilation, and clang merges C structs of the same name across modules: the three that
// newer SQLite versions (sqlite-nio's copy) extended would not merge with Debian 3.40's, nor
// would the two that point at them. Their Debian spellings get distinct names here; nothing in
// Flowgate uses virtual tables or FTS5.
#define sqlite3_module csqlite_sqlite3_module
#define sqlite3_vtab csqlite_sqlite3_vtab
#define sqlite3_vtab_cursor csqlite_sqlite3_vtab_cursor
#define Fts5ExtensionApi csqlite_Fts5ExtensionApi
#define fts5_api csqlite_fts5_api
#include <sqlite3.h>

// `sqlite3_db_config` is variadic, which Swift cannot call; this fixed-arity wrapper covers
// the integer on/off options (SQLITE_DBCONFIG_DEFENSIVE, ..._ENABLE_LOAD_EXTENSION, ...).
static inline int csqlite_db_config_flag(sqlite3 *db, int op, int value) {
    int current = -1;
    int rc = sqlite3_db_config(db, op, value, &current);
    return rc == SQLITE_OK ? current : -1;
}

// `SQLITE_TRANSIENT` is a macro casting -1 to a function pointer, which Swift does not
// import; binding text with it makes SQLite copy the bytes before the call returns.
static inline int csqlite_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

#endif
