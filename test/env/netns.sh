# Component `netns`: "another machine on a network" for the TLS tests — a network namespace
# (`ip netns`) joined to this one by a veth pair with addresses the bed chooses. Traffic flows only
# between the two ends: the namespace has no default route and nothing is forwarded into it, so an
# agent started there (`ip netns exec berth-netns1 …`) reaches the controller only at the host end's
# address, as a remote machine would. Unix sockets are not network-namespaced, so that agent still
# drives the bed's dockerd. See test/env/README.md (## netns). Created once; `down` deletes both.

NETNS_TB_NAME=berth-netns1
NETNS_TB_HOST_IF=berth-nh0          # root-namespace end
NETNS_TB_NS_IF=berth-nn0            # namespace end
NETNS_TB_NET=10.201.0.0/30          # not 172.17/16 (docker0) nor 10.200.N/24 (the extra engines)
NETNS_TB_HOST_ADDR=10.201.0.1
NETNS_TB_NS_ADDR=10.201.0.2

_netns_ok() {
  ip netns list 2>/dev/null | grep -qw "$NETNS_TB_NAME" &&
    ip -br addr show "$NETNS_TB_HOST_IF" 2>/dev/null | grep -q "$NETNS_TB_HOST_ADDR/30" &&
    ip netns exec "$NETNS_TB_NAME" ip -br addr show "$NETNS_TB_NS_IF" 2>/dev/null | grep -q "$NETNS_TB_NS_ADDR/30" &&
    ip netns exec "$NETNS_TB_NAME" ping -c1 -W1 "$NETNS_TB_HOST_ADDR" >/dev/null 2>&1
}

netns_up() {
  command -v ip >/dev/null || tb_apt_install iproute2 || tb_fail netns "apt-get install iproute2 failed"
  command -v ping >/dev/null || tb_apt_install iputils-ping || tb_fail netns "apt-get install iputils-ping failed"
  _netns_ok && return 0
  # Half-made leftovers (an earlier failed up): remove ours and start over.
  ip link del "$NETNS_TB_HOST_IF" 2>/dev/null || true
  ip netns del "$NETNS_TB_NAME" 2>/dev/null || true
  ip route show | grep -q "^$NETNS_TB_NET " && tb_fail netns "$NETNS_TB_NET is already routed on this machine (ip route); the bed will not take it over"
  ip netns add "$NETNS_TB_NAME" || tb_fail netns "ip netns add $NETNS_TB_NAME failed"
  ip link add "$NETNS_TB_HOST_IF" type veth peer name "$NETNS_TB_NS_IF" || tb_fail netns "ip link add veth failed"
  ip link set "$NETNS_TB_NS_IF" netns "$NETNS_TB_NAME" || tb_fail netns "cannot move $NETNS_TB_NS_IF into $NETNS_TB_NAME"
  ip addr add "$NETNS_TB_HOST_ADDR/30" dev "$NETNS_TB_HOST_IF" && ip link set "$NETNS_TB_HOST_IF" up || tb_fail netns "cannot address $NETNS_TB_HOST_IF"
  ip netns exec "$NETNS_TB_NAME" ip addr add "$NETNS_TB_NS_ADDR/30" dev "$NETNS_TB_NS_IF" &&
    ip netns exec "$NETNS_TB_NAME" ip link set "$NETNS_TB_NS_IF" up &&
    ip netns exec "$NETNS_TB_NAME" ip link set lo up || tb_fail netns "cannot address $NETNS_TB_NS_IF inside $NETNS_TB_NAME"
  tb_wait 10 _netns_ok || tb_fail netns "$NETNS_TB_NAME cannot ping $NETNS_TB_HOST_ADDR over the veth pair"
}

netns_status() {
  _netns_ok || { echo "namespace $NETNS_TB_NAME missing or $NETNS_TB_NS_ADDR cannot reach $NETNS_TB_HOST_ADDR"; return 1; }
  echo "namespace $NETNS_TB_NAME ($NETNS_TB_NS_ADDR) <-veth-> $NETNS_TB_HOST_ADDR, no other route"
}

netns_down() {
  ip link del "$NETNS_TB_HOST_IF" 2>/dev/null || true
  ip netns del "$NETNS_TB_NAME" 2>/dev/null || true
}

netns_env() {
  echo "export BERTH_TEST_NETNS=$NETNS_TB_NAME"
  echo "export BERTH_TEST_NETNS_ADDR=$NETNS_TB_NS_ADDR"
  echo "export BERTH_TEST_NETNS_HOST_ADDR=$NETNS_TB_HOST_ADDR"
}
