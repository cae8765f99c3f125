/* Compiled as C99 with -pedantic -Werror: the public header must be plain C. */
#include <stdio.h>
#include <string.h>

#include "verifull.h"

int main(void) {
  vf_policy_options options = VF_POLICY_OPTIONS_INIT;
  vf_trust_t trust = NULL;
  const char junk[] = "junk";
  if (vf_abi_version() != VERIFULL_ABI_VERSION) return 1;
  if (options.version != VF_POLICY_OPTIONS_VERSION) return 1;
  if (strcmp(vf_outcome_name(VF_OUTCOME_UNTRUSTED_ISSUER), "untrusted_issuer") != 0) return 1;
  if (vf_trust_from_pem(&trust, junk, sizeof junk - 1) != VF_ERROR_INPUT || trust != NULL) return 1;
  printf("C99 header test: %s\n", vf_last_error_message());
  return 0;
}
