# Cross-compiling cio for AArch64 Linux with Debian's gcc-aarch64-linux-gnu,
# the tests run under qemu user-mode emulation (ctest prefixes every test
# command with CMAKE_CROSSCOMPILING_EMULATOR).  See .ci/aarch64.sh.
#   cmake -S . -B build-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CIO_CROSS_TRIPLE aarch64-linux-gnu)
set(CIO_CROSS_SYSROOT /usr/${CIO_CROSS_TRIPLE}) # libc6-dev-arm64-cross
set(CMAKE_C_COMPILER ${CIO_CROSS_TRIPLE}-gcc)
set(CMAKE_ASM_COMPILER ${CIO_CROSS_TRIPLE}-gcc)

find_program(CIO_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(CIO_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CIO_QEMU_AARCH64} -L ${CIO_CROSS_SYSROOT})
endif()

# Programs (python3, gdb, ...) from the host; libraries, headers and CMake
# packages only from the target's root, so that the host's OpenSSL or curl
# are never linked into an AArch64 binary.
set(CMAKE_FIND_ROOT_PATH ${CIO_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
