/* broker/ alert sinks from breakglass.json (stub). */
#include "broker/alert.h"
