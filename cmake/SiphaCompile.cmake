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
