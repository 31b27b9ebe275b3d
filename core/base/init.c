/* Process-wide set-up (see init.h). */
#include "init.h"

#include <gsl/gsl_errno.h>

void sc_init(void)
{
    gsl_set_error_handler_off();
}
