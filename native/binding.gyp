{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": [
        "src/addon.cc",
        "src/caps.cc",
        "src/cgroups.cc",
        "src/cgroups_js.cc",
        "src/child_fds.cc",
        "src/container.cc",
        "src/devices.cc",
        "src/errors.cc",
        "src/fsroot.cc",
        "src/mounts.cc",
        "src/netlink.cc",
        "src/network_js.cc",
        "src/overlay_js.cc",
        "src/pty_js.cc",
        "src/seccomp.cc",
        "src/shim_js.cc",
        "src/spawn.cc",
        "src/spawn_spec.cc",
        "src/wait.cc",
        "src/xattrs.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "<!@(pkg-config --cflags libseccomp)"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra"
      ],
      "libraries": [
        "<!@(pkg-config --libs libseccomp)"
      ]
    },
    {
      "target_name": "berth-init",
      "type": "executable",
      "sources": [
        "src/init_main.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra"
      ],
      "ldflags": [
        "-static"
      ]
    },
    {
      "target_name": "berth-shim",
      "type": "executable",
      "sources": [
        "src/shim_main.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra",
        "-O2"
      ]
    },
    {
      "target_name": "berth-runtime",
      "type": "executable",
      "sources": [
        "src/runtime/main.cc",
        "src/runtime/json.cc",
        "src/runtime/oci.cc",
        "src/caps.cc",
        "src/cgroups.cc",
        "src/child_fds.cc",
        "src/container.cc",
        "src/devices.cc",
        "src/mounts.cc",
        "src/netlink.cc",
        "src/seccomp.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17",
        "-fno-rtti"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "<!@(pkg-config --cflags libseccomp)"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-O2"
      ],
      "libraries": [
        "<!@(pkg-config --libs libseccomp)"
      ]
    },
    {
      "target_name": "berth-edge-fast",
      "type": "executable",
      "sources": [
        "src/edge_conn.cc",
        "src/edge_exchange.cc",
        "src/edge_fast_main.cc",
        "src/edge_grants.cc",
        "src/edge_http.cc",
        "src/edge_loop.cc",
        "src/edge_net.cc",
        "src/edge_targets.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra",
        "-O2"
      ],
      "libraries": [
        "-lpthread"
      ]
    },
    {
      "target_name": "berth-port-proxy",
      "type": "executable",
      "sources": [
        "src/port_proxy_main.cc",
        "src/port_proxy_log.cc",
        "src/port_relay.cc",
        "src/port_udp.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra",
        "-O2"
      ]
    }
  ]
}
