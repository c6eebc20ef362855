/* The follow engine; see follow.h.
 * SPDX-License-Identifier: Apache-2.0 */
#include "follow.h"
#include "log.h"

int
follow_main(const struct opts *o)
{
	(void)o;
	log_error("listing events is not yet implemented");
	return 1;
}
