/* A shared object without the entry symbol. */
#include "simcon/plugin.h"

SC_EXPORT int not_an_entry(void);
SC_EXPORT int not_an_entry(void)
{
    return 42;
}
