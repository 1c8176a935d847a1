/* onlink's version: the newest entry of debian/changelog, the one place
 * it is written (the Makefile makes build/gen/version.h from it). */
#ifndef OL_VERSION_H
#define OL_VERSION_H

extern const char onlink_version[];

#endif
