/* Builds against the installed package with `pkg-config --cflags --libs verifull` only,
 * and uses a returned handle's own library (libpq, Connector/C) too. */
#include <libpq-fe.h>
#include <mysql.h>
#include <stdio.h>
#include <string.h>
#include <verifull.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  vf_trust_t trust = NULL;
  if (vf_trust_from_file(&trust, argv[1]) != VF_OK) {
    fprintf(stderr, "%s\n", vf_last_error_message());
    return 1;
  }
  size_t count = 0;
  vf_trust_anchor_count(trust, &count);
  vf_trust_destroy(trust);
  /* The drivers' own calls link through verifull's pkg-config file. */
  MYSQL* m = mysql_init(NULL);
  mysql_close(m);
  printf("verifull %s, %zu anchor(s), libpq %d, ABI %d\n", vf_version_string(), count, PQlibVersion(),
         vf_abi_version());
  return count == 1 && vf_abi_version() == VERIFULL_ABI_VERSION ? 0 : 1;
}
