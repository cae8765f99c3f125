/* Verify a server certificate chain offline against your CA, the way every verifull
 * connection does. Build: cc verify_offline.c $(pkg-config --cflags --libs verifull)
 * Usage: verify_offline CA.pem CHAIN.pem HOST
 * Exit: 0 verified, 1 refused, 2 bad input. */
#include <stdio.h>
#include <stdlib.h>

#include <verifull.h>

static char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  char* data = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) == (size_t)size) {
      *len = (size_t)size;
    } else {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  return data;
}

int main(int argc, char** argv) {
  vf_trust_t trust = NULL;
  vf_report_t report = NULL;
  vf_policy_options options = VF_POLICY_OPTIONS_INIT;
  char message[2048];
  size_t message_len = sizeof message;
  size_t chain_len = 0;
  char* chain;
  int outcome = -1;

  if (argc != 4) {
    fprintf(stderr, "usage: %s CA.pem CHAIN.pem HOST\n", argv[0]);
    return 2;
  }
  /* The anchors: a file, or vf_trust_from_pem / vf_trust_from_env. Loading is strict. */
  if (vf_trust_from_file(&trust, argv[1]) != VF_OK) {
    fprintf(stderr, "bad CA: %s\n", vf_last_error_message());
    return 2;
  }
  chain = read_file(argv[2], &chain_len);
  if (!chain) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    vf_trust_destroy(trust);
    return 2;
  }
  options.host = argv[3]; /* the name (or IP) you dial: always required */
  /* VF_OK means "a verdict was reached", not "verified": check the outcome. */
  if (vf_verify_pem(&report, chain, chain_len, NULL, 0, trust, &options) != VF_OK) {
    fprintf(stderr, "bad input: %s\n", vf_last_error_message());
  } else {
    vf_report_outcome(report, &outcome);
    if (vf_report_message(report, message, &message_len) == VF_OK)
      printf("%s: %s\n", vf_outcome_name(outcome), message);
  }
  vf_report_destroy(report);
  vf_trust_destroy(trust);
  free(chain);
  if (outcome < 0) return 2;
  return outcome == VF_OUTCOME_OK ? 0 : 1;
}
