/* The version every agent reports (status "version", onlink_build_info)
 * and `onlinkd -V` and `onlink --version` print. */
#include "base/version.h"
#include "onlink_version.h" /* build/gen: from debian/changelog */

const char onlink_version[] = ONLINK_VERSION;
