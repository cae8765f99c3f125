#include "sql_results.hpp"

namespace verifull::cli {
namespace {

ColumnKind postgres_kind(Oid type) {
  switch (type) {
    case 16: return ColumnKind::boolean;                          // bool
    case 20: case 21: case 23: case 26: case 700: case 701: case 1700:  // int8/2/4, oid, float4/8, numeric
      return ColumnKind::number;
    default: return ColumnKind::text;
  }
}

ColumnKind mysql_kind(enum enum_field_types type) {
  switch (type) {
    case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG: case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_INT24: case MYSQL_TYPE_YEAR: case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
      return ColumnKind::number;
    default: return ColumnKind::text;
  }
}

nlohmann::json json_cell(const std::optional<std::string>& value, ColumnKind kind) {
  if (!value) return nullptr;
  if (kind == ColumnKind::boolean) return *value == "t" || *value == "1" || *value == "true";
  if (kind == ColumnKind::number) {
    // "NaN", "Infinity" and the like are not JSON numbers: they stay strings.
    const auto parsed = nlohmann::json::parse(*value, nullptr, false);
    if (parsed.is_number()) return parsed;
  }
  return *value;
}

}  // namespace

QueryResult run_postgres_query(PGconn* conn, const std::string& sql) {
  QueryResult out;
  PGresult* res = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(res);
  if (status == PGRES_TUPLES_OK) {
    for (int c = 0; c < PQnfields(res); ++c) {
      out.columns.emplace_back(PQfname(res, c));
      out.kinds.push_back(postgres_kind(PQftype(res, c)));
    }
    for (int r = 0; r < PQntuples(res); ++r) {
      std::vector<std::optional<std::string>> row;
      for (int c = 0; c < PQnfields(res); ++c)
        row.push_back(PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c)));
      out.rows.push_back(std::move(row));
    }
  } else if (status != PGRES_COMMAND_OK) {
    out.error = PQresultErrorMessage(res);
    while (!out.error.empty() && out.error.back() == '\n') out.error.pop_back();
  }
  PQclear(res);
  return out;
}

QueryResult run_mysql_query(MYSQL* m, const std::string& sql) {
  QueryResult out;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    out.error = mysql_error(m);
    return out;
  }
  MYSQL_RES* res = mysql_store_result(m);
  if (!res) {
    if (mysql_field_count(m) != 0) out.error = mysql_error(m);
    return out;
  }
  const unsigned int n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned int c = 0; c < n; ++c) {
    out.columns.emplace_back(fields[c].name);
    out.kinds.push_back(mysql_kind(fields[c].type));
  }
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    std::vector<std::optional<std::string>> values;
    for (unsigned int c = 0; c < n; ++c)
      values.push_back(row[c] ? std::optional<std::string>(std::string(row[c], lengths[c])) : std::nullopt);
    out.rows.push_back(std::move(values));
  }
  mysql_free_result(res);
  return out;
}

void add_query_json(nlohmann::json& j, const std::string& sql, const QueryResult& q) {
  j["query"] = sql;
  j["columns"] = q.columns;
  j["rows"] = nlohmann::json::array();
  for (const auto& row : q.rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (std::size_t c = 0; c < row.size(); ++c) cells.push_back(json_cell(row[c], q.kinds[c]));
    j["rows"].push_back(std::move(cells));
  }
  if (!q.error.empty()) j["query_error"] = q.error;
}

void print_query_text(const std::string& sql, const QueryResult& q, std::ostream& out) {
  out << "query: " << sql << "\n";
  if (!q.error.empty()) out << "query failed: " << q.error << "\n";
  if (!q.columns.empty()) {
    for (std::size_t c = 0; c < q.columns.size(); ++c) out << (c ? "\t" : "") << q.columns[c];
    out << "\n";
  }
  for (const auto& row : q.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out << (c ? "\t" : "") << row[c].value_or("NULL");
    out << "\n";
  }
}

}  // namespace verifull::cli
