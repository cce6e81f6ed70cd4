;; CRC-32 (the one zlib, PNG and gzip use: reflected polynomial 0xEDB88320), bit by bit,
;; over bytes the caller has copied into this module's memory: one page to start, and
;; at most 16 (1 MiB), the largest body the worker accepts.
(module
  (memory (export "memory") 1 16)
  (func (export "crc32") (param $ptr i32) (param $len i32) (result i32)
    (local $crc i32)
    (local $end i32)
    (local $bit i32)
    (local.set $crc (i32.const -1))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $crc (i32.xor (local.get $crc) (i32.load8_u (local.get $ptr))))
        (local.set $bit (i32.const 8))
        (loop $bits
          ;; crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1))
          (local.set $crc
            (i32.xor
              (i32.shr_u (local.get $crc) (i32.const 1))
              (i32.and
                (i32.const 0xEDB88320)
                (i32.sub (i32.const 0) (i32.and (local.get $crc) (i32.const 1))))))
          (local.set $bit (i32.sub (local.get $bit) (i32.const 1)))
          (br_if $bits (local.get $bit)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $bytes)))
    (i32.xor (local.get $crc) (i32.const -1))))
