// What the fuzz targets share: a property check that crashes loudly, so
// libFuzzer (or the corpus replay under ctest) reports the input.
#ifndef RAFTLAB_FUZZ_FUZZ_CHECK_H_
#define RAFTLAB_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// Aborts, naming the property, if `cond` is false. Not assert(): it must
// hold in release builds too.
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

#endif  // RAFTLAB_FUZZ_FUZZ_CHECK_H_
