/* A verified MySQL/MariaDB connection from C through verifull's C ABI: verifull probes
 * the server, verifies its certificate, and pins Connector/C to exactly that
 * certificate before the login is sent.
 *
 *   mysql_connect CA.pem mysql://user:password@db.example.com:3306/app
 *
 * Build: cc mysql_connect.c $(pkg-config --cflags --libs verifull libmariadb) */
#include <mysql.h>
#include <stdio.h>
#include <verifull.h>

int main(int argc, char** argv) {
  vf_trust_t trust = NULL;
  vf_mysql_t my = NULL;
  vf_report_t report = NULL;
  vf_policy_options options = VF_POLICY_OPTIONS_INIT; /* defaults: the URL's host, 10 s */
  void* handle = NULL;
  char message[1024];
  size_t message_len = sizeof message;
  int outcome = -1;

  if (argc != 3) {
    fprintf(stderr, "usage: %s CA.pem mysql://user:password@host:port/db\n", argv[0]);
    return 2;
  }
  if (vf_trust_from_file(&trust, argv[1]) != VF_OK) { /* strict: bad PEM, keys, non-CAs */
    fprintf(stderr, "bad CA: %s\n", vf_last_error_message());
    return 2;
  }
  if (vf_mysql_connect(&my, argv[2], trust, &options) != VF_OK) { /* bad URL and such */
    fprintf(stderr, "bad input: %s\n", vf_last_error_message());
    vf_trust_destroy(trust);
    return 2;
  }
  /* VF_OK above means "a verdict was reached": the outcome says whether it connected. */
  vf_mysql_report(my, &report);
  vf_report_outcome(report, &outcome);
  vf_report_message(report, message, &message_len);
  if (outcome != VF_OUTCOME_OK) {
    fprintf(stderr, "%s: %s\n", vf_outcome_name(outcome), message);
  } else if (vf_mysql_conn(my, &handle) == VF_OK) {
    MYSQL* mysql = (MYSQL*)handle; /* borrowed: vf_mysql_destroy closes it */
    if (mysql_query(mysql, "SELECT CURRENT_USER()") == 0) {
      MYSQL_RES* result = mysql_store_result(mysql);
      MYSQL_ROW row = result ? mysql_fetch_row(result) : NULL;
      printf("connected as %s with %s\n", row && row[0] ? row[0] : "?", mysql_get_ssl_cipher(mysql));
      mysql_free_result(result);
    }
  }
  vf_report_destroy(report);
  vf_mysql_destroy(my);
  vf_trust_destroy(trust);
  return outcome == VF_OUTCOME_OK ? 0 : 1;
}
