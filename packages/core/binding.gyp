{
  "targets": [
    {
      "target_name": "tasse_spawn",
      "sources": ["native/tasse-spawn.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
