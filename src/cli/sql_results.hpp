// `verifull connect --query`: running the SQL on the verified connection and typing its
// result (text, or JSON with typed cells) for the output.
#pragma once

#include <libpq-fe.h>
#include <mysql.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace verifull::cli {

// How a column's values appear in JSON: strings, or typed (SQL NULL is always null).
enum class ColumnKind { text, boolean, number };

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<ColumnKind> kinds;
  std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt: SQL NULL
  std::string error;                                          // empty when the query ran
};

QueryResult run_postgres_query(PGconn* conn, const std::string& sql);
QueryResult run_mysql_query(MYSQL* m, const std::string& sql);

// The query, its columns, its rows (cells typed by their column) and any error, added to
// the connection's JSON object.
void add_query_json(nlohmann::json& j, const std::string& sql, const QueryResult& q);

// The query, any error, then a tab-separated header and rows (NULL for SQL NULL).
void print_query_text(const std::string& sql, const QueryResult& q, std::ostream& out);

}  // namespace verifull::cli
