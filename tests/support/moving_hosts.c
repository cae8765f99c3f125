/* A test-only getaddrinfo() interposer (LD_PRELOAD) that lets a test move a host name to
 * another loopback address while a process runs, without touching /etc/hosts: the file
 * named by VERIFULL_TEST_MOVING_HOSTS holds "name address" lines, read again on every
 * call, and a listed name resolves to its address (which must be in 127.0.0.0/8);
 * everything else goes to the real getaddrinfo. tests/python/test_lifetime.py uses it to
 * check that a libpq connection string resolves its host when a connection is opened. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getaddrinfo_fn)(const char*, const char*, const struct addrinfo*, struct addrinfo**);

static int moved_address(const char* node, char* address, size_t size) {
  const char* path = getenv("VERIFULL_TEST_MOVING_HOSTS");
  if (!node || !path) return 0;
  FILE* file = fopen(path, "re");
  if (!file) return 0;
  char name[256], value[64];
  int found = 0;
  while (!found && fscanf(file, "%255s %63s", name, value) == 2)
    if (strcmp(name, node) == 0 && strncmp(value, "127.", 4) == 0 && strlen(value) < size) {
      strcpy(address, value);
      found = 1;
    }
  fclose(file);
  return found;
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
  char address[64];
  if (!moved_address(node, address, sizeof address)) return real(node, service, hints, res);
  struct addrinfo numeric = {0};
  if (hints) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  numeric.ai_family = AF_INET;
  return real(address, service, &numeric, res);
}
