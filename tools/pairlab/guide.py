"""What `make run` prints once the pair is up: where the VIP is and commands that work."""

import os


def instructions(lab):
    d = lab.describe()
    a = lab.addresses
    client = lab.client.ns.name
    vip = a.vip
    siphactl = lab.binary("siphactl")
    if not os.access(siphactl, os.X_OK):
        siphactl = "siphactl"
    nodes = lab.nodes.values()
    lines = []
    add = lines.append
    if lab.takeover:
        add(f"The pair is up in takeover mode: the VIP {vip} is held by the primary's "
            f"sipha-netcfg on the LAN {a.gateway}/24")
        add(f"(bridge in {lab.switch.ns.name}; gateway and witness {a.gateway}).")
    else:
        add(f"The pair is up behind the BIG-IP stand-in ({lab.bigip.ns.name}): VIP {vip}, "
            f"SIP {lab.sip_port} UDP/TCP, TLS {d['sip_port_tls']};")
        add(f"external self IP {a.bigip_external}, internal self IP {a.gateway} (witness), "
            f"pool members a {lab.a.service_address}, b {lab.b.service_address}.")
    add(f"Phones and SIPp run in the client namespace {client} ({a.client}); "
        f"{a.trusted} may call without digest.")
    if lab.static_roles:
        add("No sipha-agent: the lab set the roles (a primary, b backup); nothing fails over "
            "by itself.")
    add("")
    add("Nodes:")
    for n in nodes:
        pids = ", ".join(f"{k} {v}" for k, v in n.pids.items())
        add(f"  {n.name}: namespace {n.ns.name}, service {n.service_address}, HA link "
            f"{n.ha_address}; {pids}")
        add(f"     bus {n.bus_address}")
        add(f"     config {n.config_path}; logs {n.dir}/{{sipd,netcfg,agent,dbus}}.log")
    add("")
    ex = f"ip netns exec {client}"
    add("Try it (as root, from another terminal):")
    add(f"  {ex} sipsak -vv -s sip:{vip}")
    add("      # OPTIONS through the VIP: 200 from the primary")
    add(f"  {ex} sipsak -U -i -C sip:7001@{a.client}:5070 -x 3600 -u 7001 -a demo7001 -vv "
        f"-s sip:7001@{vip}")
    add("      # REGISTER 7001 (digest: -u user, -a password; -x 3600: Expires, the default 15 is "
        "refused with 423)")
    add(f"  {ex} sipp -sn uas -i {a.client} -p 5070 -m 1 -bg")
    add("      # a phone answering for 7001 (one call, in the background)")
    add(f"  {ex} sipp -sn uac -i {a.client} -p 5090 -m 1 -d 5000 -s 7001 {vip}:{lab.sip_port}")
    add("      # a 5 s call through the VIP to 7001 (the client network is trusted: no digest)")
    add(f"  {ex} sipp -sn uas -i {a.client} -p 25090 -m 1 -bg; "
        f"{ex} sipp -sn uac -i {a.client} -p 5091 -m 1 -s 91234 {vip}")
    add("      # a call to the trunk gw1 (prefix 9) and its gateway")
    add("")
    add("Roles and switchover (the operator's command goes to the primary):")
    for n in nodes:
        add(f"  {n.name}: {ex.replace(client, n.ns.name)} env "
            f"DBUS_SYSTEM_BUS_ADDRESS={n.bus_address} {siphactl} status")
    try:
        primary = lab.nodes[lab.primary() or "a"]
    except Exception:  # both say primary: show a's
        primary = lab.a
    add(f"  switchover (on the primary, now {primary.name}): ip netns exec {primary.ns.name} env "
        f"DBUS_SYSTEM_BUS_ADDRESS={primary.bus_address} {siphactl} switchover")
    add(f"  or: busctl --address={primary.bus_address} call org.sipha.Agent1 /org/sipha/Agent1 "
        "org.sipha.Agent1 Switchover")
    add("  role: busctl --address=<bus> get-property org.sipha.Agent1 /org/sipha/Agent1 "
        "org.sipha.Agent1 Role")
    add("")
    add("Watch:")
    for n in nodes:
        add(f"  {n.name}: env DBUS_SYSTEM_BUS_ADDRESS={n.bus_address} {siphactl} watch   "
            f"# or busctl --address={n.bus_address} monitor")
    if lab.bigip:
        add(f"  BIG-IP monitor: tail -F {lab.bigip.log_path}   (state: {lab.bigip.state_path})")
        add(f"  BIG-IP rules:   ip netns exec {lab.bigip.ns.name} nft list table ip bigip")
    add(f"  everything as JSON: {lab.workdir}/lab.json")
    add("")
    add("Ctrl-C stops every process and removes the namespaces, links and files.")
    return "\n".join(lines)
