/* Test and benchmark knobs. They are read from the environment only in
 * builds made for tests and benchmarks (-DONLINK_TEST_KNOBS: the sanitizers'
 * daemon build/asan/onlinkd, and build/bench/onlinkd for `make bench`): an
 * installed daemon never changes behaviour from its environment, and its
 * binary does not even hold the knobs' names. */
#ifndef OL_KNOB_H
#define OL_KNOB_H
#include <stdlib.h>

#ifdef ONLINK_TEST_KNOBS
#define knob(name) getenv(name)
#else
#define knob(name) ((const char *)NULL)
#endif
#endif
