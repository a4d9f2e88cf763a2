{
  "targets": [
    {
      "target_name": "saker",
      "sources": ["saker.c"],
      "include_dirs": ["../build", "../bpf"],
      "libraries": ["-lbpf", "-lelf", "-lz"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
