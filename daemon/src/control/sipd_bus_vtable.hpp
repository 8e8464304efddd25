#pragma once
// The org.sipha.Sipd1 interface as an sd-bus vtable (methods, properties, signal).
#include <systemd/sd-bus.h>

namespace sipha::control::detail {

// Static storage. Register it with a `const SipdHandlers*` as userdata; every callback turns a
// handler's exception into org.freedesktop.DBus.Error.Failed (nothing unwinds through sd-bus).
const sd_bus_vtable* sipdVtable() noexcept;

}  // namespace sipha::control::detail
