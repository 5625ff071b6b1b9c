#!/bin/sh
# Each sync that takes records adds a pack to the archive; once there are 32
# small ones, the next sync joins them with stock git (src/repack.h): the
# archive keeps every record, stock git fsck agrees, and a git that fails
# changes nothing.
. "$(dirname "$0")/test-lib.sh"

packs() { ls "$1/archive.git/objects/pack/" | grep -c '^pack-.*\.pack$'; }

# small_packs HOME N: N more small packs in HOME's archive, each holding one
# object the archive has (what syncs of a record or two leave, cheaper)
small_packs() {
	git --git-dir="$1/archive.git" rev-list --objects --all | cut -d" " -f1 | head -n "$2" >objs &&
	while read -r o; do
		echo "$o" | git --git-dir="$1/archive.git" pack-objects -q "$1/archive.git/objects/pack/pack" \
			>/dev/null || return 1
	done <objs
}

test_expect_success 'setup: a center and a member that took records sync by sync' '
	new_network cc "НПО Мрежа – област Кюстендил" &&
	new_node a "НПО Рила" rila &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)" >/dev/null &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	for i in 1 2 3; do
		add_doc cc "Протокол $i" >/dev/null &&
		civic --home a sync --no-attachments "$(abs cc)/archive.git" >/dev/null || return 1
	done &&
	test "$(packs a)" -ge 3
'

test_expect_success 'fewer than 32 small packs stay as they are' '
	small_packs a 20 &&
	before=$(packs a) &&
	add_doc cc "Протокол 4" >/dev/null &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test ! -s err &&
	test "$(packs a)" = $((before + 1))
'

test_expect_success 'at 32, the next sync joins them: every record stays, audit and git fsck agree' '
	small_packs a 20 &&
	test "$(packs a)" -ge 32 &&
	add_doc cc "Протокол 5" >/dev/null &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test ! -s err &&
	test "$(packs a)" = 2 &&
	test "$(archive_refs a | grep "$(node_feed cc)")" = "$(archive_refs cc | grep "$(node_feed cc)")" &&
	civic --home a audit >audit && test "$(tail -n 1 audit)" = "audit: sound" &&
	grep -q "records: 5 valid" audit &&
	git --git-dir=a/archive.git fsck --full --no-dangling
'

test_expect_success 'a git pack-objects that fails: the sync runs, with one warning, and nothing is lost' '
	small_packs a 40 &&
	before=$(packs a) &&
	add_doc cc "Протокол 6" >/dev/null &&
	mkdir failing &&
	printf "#!/bin/sh\nfor a; do [ \"\$a\" = pack-objects ] && exit 1; done\nexec %s \"\$@\"\n" \
		"$(command -v git)" >failing/git && chmod +x failing/git &&
	PATH="$TEST_DIR/failing:$PATH" civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test "$(grep -c "warning: the archive.s small packs were not joined: git pack-objects failed" err)" = 1 &&
	test "$(packs a)" = $((before + 1)) &&
	civic --home a audit >audit && test "$(tail -n 1 audit)" = "audit: sound" &&
	grep -q "records: 6 valid" audit &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test ! -s err && test "$(packs a)" = 1 &&
	git --git-dir=a/archive.git fsck --full --no-dangling
'

test_done
