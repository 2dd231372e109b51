{
  "targets": [
    {
      "target_name": "tasse_spawn",
      "sources": ["native/tasse-spawn.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "tasse-as-user",
      "type": "executable",
      "sources": ["native/tasse-as-user.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
