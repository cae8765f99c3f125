# frozen_string_literal: true

# Every Ruby test file in one minitest run, so meson's log ends with one summary line
# ("N runs, N assertions, N failures, N errors, N skips") that tools/count-tests reads.
Dir.glob(File.join(__dir__, "test_*.rb")).sort.each { |file| require file }
