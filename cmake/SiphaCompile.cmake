# Warnings are errors everywhere (DEVELOPERS.md); sanitizers on request.
add_compile_options(-Wall -Wextra -Werror -Wno-missing-field-initializers)
if(SIPHA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(SIPHA_FUZZ)
  # Every library gets coverage instrumentation; the fuzz target adds -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Release at -O2 (as Debian builds packages): GCC 12's -O3 inlining produces false positives of
# -Wrestrict / -Wmaybe-uninitialized inside std::string (GCC bugs 105329, 105562), which
# -Werror would turn into build failures.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Release flags" FORCE)
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Release flags" FORCE)
