/* Shared command-line pieces (see commands.h). */
#include "commands.h"

#include "err.h"

int sc_exit_code(int status)
{
    return status == SC_OK                               ? SC_EXIT_OK
           : (status == SC_ESPEC || status == SC_EINVAL) ? SC_EXIT_USAGE
                                                         : SC_EXIT_FAIL;
}
