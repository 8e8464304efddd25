#pragma once
// sipha-netcfg's object on the system bus: org.sipha.Netcfg1 at /org/sipha/Netcfg1
// (docs/network.md).
//   Apply() -> as changes        re-read the file, reconcile, firewall
//   Status() -> s json           state dump (NetcfgService::statusJson)
//   SetRole(s role, t epoch)     primary | backup; a lower epoch is refused (StaleEpoch)
//   properties Role s, Epoch t, HoldsVip b (PropertiesChanged on SetRole)
//   signal RoleChanged(s role, t epoch)
// Unlike sipd, netcfg needs the bus to be told its role: start() fails when the name cannot be
// owned, and the process exits (systemd restarts it).
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <string>

#include "service/netcfg_service.hpp"

namespace sipha::netcfg::service {

class NetcfgBus {
 public:
  explicit NetcfgBus(NetcfgService& service) : service_(service) {}
  ~NetcfgBus();
  NetcfgBus(const NetcfgBus&) = delete;
  NetcfgBus& operator=(const NetcfgBus&) = delete;

  // Opens the system bus (DBUS_SYSTEM_BUS_ADDRESS honoured), registers the object, attaches to
  // `event` and owns the name. Empty string: success.
  std::string start(sd_event* event);
  void stop() noexcept;

  // RoleChanged + PropertiesChanged(Role, Epoch, HoldsVip).
  void emitRoleChanged() noexcept;

  NetcfgService& service() noexcept { return service_; }

 private:
  NetcfgService& service_;
  sd_bus* bus_ = nullptr;
  sd_bus_slot* objectSlot_ = nullptr;
};

}  // namespace sipha::netcfg::service
