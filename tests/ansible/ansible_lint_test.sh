#!/usr/bin/env bash
# ansible/ is lint-clean: ansible-lint with the production profile (ansible/.ansible-lint),
# yamllint in strict mode (ansible/.yamllint), and ansible-playbook --syntax-check of
# site.yml against the example inventory. Runs on a dereferenced copy of the tree so the
# linters' caches stay out of the source tree.
#
# Usage: ansible_lint_test.sh SITE_YML
set -euo pipefail

WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ansible-lint.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -rL "$(dirname "$(realpath -s "$1")")" "$WORK/ansible"
cd "$WORK/ansible"
export HOME=$WORK ANSIBLE_HOME=$WORK/.ansible ANSIBLE_LOCAL_TEMP=$WORK/.ansible/tmp
export ANSIBLE_NOCOLOR=1 NO_COLOR=1

grep -qx 'profile: production' .ansible-lint || { echo "FAIL: .ansible-lint is not on the production profile" >&2; exit 1; }
yamllint --strict .
ansible-playbook --syntax-check site.yml
ansible-lint --nocolor --strict 2>&1 | tee "$WORK/lint.log"
grep -q 'Passed with production profile' "$WORK/lint.log" \
  || { echo "FAIL: ansible-lint did not pass the production profile" >&2; exit 1; }
echo "PASS: ansible-lint (production), yamllint --strict and --syntax-check are clean"
