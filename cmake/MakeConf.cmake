# cmake -DIN=example -DOUT=file -P MakeConf.cmake
# The installed /etc/tessera/tesserad.conf is the example with data and
# control_socket set explicitly; every other setting stays at its default.
file(READ "${IN}" text)
foreach(line "data = /var/lib/tessera" "control_socket = /run/tessera/tesserad.sock")
  string(FIND "${text}" "\n#${line}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${IN}: no line '#${line}' to enable; update cmake/MakeConf.cmake")
  endif()
  string(REPLACE "\n#${line}\n" "\n${line}\n" text "${text}")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
