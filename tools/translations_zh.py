"""Write src/hgr/locale/zh_Hans/LC_MESSAGES/hgr.po from the template and the Chinese below.

    pybabel extract -F babel.cfg -k N_ -o src/hgr/locale/hgr.pot --no-location --sort-output src/hgr
    python tools/translations_zh.py

A message of the template without a Chinese text here stops the script with its name, so the
catalogue is never written incomplete.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "hgr" / "locale"

ZH = {
    "%(shown)s of %(total)s entries in force": "生效条目 %(total)s 条，显示 %(shown)s 条",
    "All grounds": "全部事由",
    "Country": "国家或地区",
    "Debarment list": "排除名单",
    "Decided": "决定日期",
    "Discretionary": "酌定排除",
    "Download:": "下载：",
    "Exclusion": "排除类型",
    "Ground": "事由",
    "Home": "首页",
    "Identifiers": "标识号",
    "Language": "语言",
    "Listed": "列入日期",
    "Mandatory": "强制排除",
    "Mandatory and discretionary": "强制与酌定排除",
    "Name, number or identifier": "名称、编号或标识号",
    "No entry in force matches.": "没有符合条件的生效条目。",
    "Open to everyone": "公开信息",
    "Organisations excluded from receiving human genetic resources, with the grounds and "
    "dates of each exclusion.": "被禁止获取人类遗传资源的组织，以及每项排除的事由和日期。",
    "Organisations excluded from receiving human genetic resources. The list is public by "
    "law, and shows every exclusion in force.": "被禁止获取人类遗传资源的组织。本名单依法公开，"
    "列出全部生效的排除决定。",
    "Page not found": "页面不存在",
    "Pages": "页面",
    "Received": "接收日期",
    "Regime": "适用制度",
    "SHA-256": "SHA-256 摘要",
    "Search": "查询",
    "Signed by": "签署方",
    "Skip to the content": "跳到正文",
    "There is no such page on this node. Use the links above, or go back to the home page.": (
        "本节点没有这个页面。请使用上方链接，或返回首页。"
    ),
    "This node holds no signed national list: the entries below are those it keeps itself.": (
        "本节点未持有经签署的国家名单：以下条目为本节点自行保存的条目。"
    ),
    "This node keeps the register of human genetic resources that its institutions hold: "
    "samples, genotype data, consents and families. It governs every use of them, and answers "
    "questions about them without letting raw data leave.": (
        "本节点登记其所属机构保藏的人类遗传资源：样本、基因型数据、知情同意和家系。"
        "本节点管理这些资源的每一次利用，并在原始数据不出境、不离开本节点的前提下回答相关查询。"
    ),
    "Until": "截止",
    "Code from your authenticator app": "身份验证器应用中的验证码",
    "Password": "密码",
    "Role": "角色",
    "Scope": "范围",
    "Sign in": "登录",
    "Sign out": "退出登录",
    "Sign out of every browser": "在所有浏览器上退出登录",
    "Signed in as": "当前用户",
    "Six digits. Officers and committee members need one; leave it empty if you have no second "
    "factor.": "六位数字。管理人员和委员会成员必须填写；未设置第二因素的用户请留空。",
    "The name, password or code is not right, or the account is locked for 15 minutes after "
    "five failures.": "用户名、密码或验证码不正确，或账户因连续五次失败已被锁定 15 分钟。",
    "User name": "用户名",
    "Your account": "我的账户",
    "the form had expired: sign in again": "表单已过期，请重新登录",
    "the form had expired: try again": "表单已过期，请重试",
    "too many sign-ins from this address: wait a minute": "此地址登录尝试过多，请稍候一分钟",
    "Version": "版本",
    "Version and signature": "版本与签名",
    "a search cannot hold control characters or line breaks": "查询内容不能包含控制字符或换行",
    "a search is at most %(n)s characters": "查询内容最多 %(n)s 个字符",
    "choose mandatory or discretionary exclusions, or all": "请选择强制排除、酌定排除或全部",
    "discretionary": "酌定",
    "hgr %(version)s: governance of human genetic resources": (
        "hgr %(version)s：人类遗传资源管理平台"
    ),
    "key": "密钥",
    "mandatory": "强制",
    "no entry in force has the ground “%(ground)s”": "没有以“%(ground)s”为事由的生效条目",
    "permanent": "永久",
    "the signed national list": "经签署的国家名单",
    "until removed": "直至移除",
    "%(donors)s donors withdrew their consent, and %(samples)s of their samples are still "
    "stored as available or reserved: record what became of them.": (
        "%(donors)s 名捐献者已撤回同意，其 %(samples)s 份样本仍登记为可用或预留："
        "请登记这些样本的去向。"
    ),
    "%(n)s consents are past their time limit but still marked active.": (
        "%(n)s 份知情同意已过期限，但仍标为有效。"
    ),
    "%(n)s withdrawn": "已撤回 %(n)s 份",
    "After": "修改后",
    "Before": "修改前",
    "Build": "参考基因组版本",
    "By": "操作人",
    "Code": "编号",
    "Collection": "样本集",
    "Collections": "样本集",
    "Consents": "知情同意",
    "Diagnoses": "诊断",
    "Document": "同意书版本",
    "Donor": "捐献者",
    "Donor %(id)s": "捐献者 %(id)s",
    "Donors": "捐献者",
    "Ethics approval %(reference)s of %(committee)s ended on %(date)s but is still marked "
    "active.": ("%(committee)s 的伦理批件 %(reference)s 已于 %(date)s 到期，但仍标为有效。"),
    "Ethics approval %(reference)s of %(committee)s ends on %(date)s.": (
        "%(committee)s 的伦理批件 %(reference)s 将于 %(date)s 到期。"
    ),
    "Ethics approvals": "伦理批件",
    "Families": "家系",
    "Family %(code)s, generation %(generation)s": "家系 %(code)s，第 %(generation)s 代",
    "Field": "字段",
    "Find": "查找",
    "Flagged by QC": "质控标记",
    "Found": "查找结果",
    "Genotype stores": "基因型数据库",
    "Give an identifier of at most %(n)s characters, on one line.": (
        "请输入不超过 %(n)s 个字符的单行编号。"
    ),
    "History": "修改记录",
    "Identifier": "编号",
    "Material": "样本类型",
    "Modifiers": "附加条件",
    "Name": "名称",
    "Needs your attention": "待处理事项",
    "No change since the record was registered.": "登记以来没有修改。",
    "No collection is registered yet: import your templates to register them.": (
        "尚未登记样本集：请导入模板进行登记。"
    ),
    "No consent is registered for this donor.": "该捐献者没有登记知情同意。",
    "No donor of your institution has this pseudonym.": "本机构没有使用此假名的捐献者。",
    "No genotypes are stored for your collections.": "本机构的样本集尚无基因型数据。",
    "No sample is registered for this donor.": "该捐献者没有登记样本。",
    "No sample of your institution has this identifier.": "本机构没有此编号的样本。",
    "Nothing needs your attention today.": "今天没有待处理事项。",
    "Permission": "使用许可",
    "Phenotypes": "表型",
    "Population": "人群",
    "Pseudonym": "假名",
    "Residence": "居住地",
    "Sample %(code)s": "样本 %(code)s",
    "Samples": "样本",
    "Search by your institution's own identifier. Donors are kept only under a pseudonym: "
    "the identifier you give is turned into it here and is not stored.": (
        "按本机构自己的编号查找。捐献者只以假名登记：您输入的编号在此处换算为假名，不会被保存。"
    ),
    "Sex": "性别",
    "Status": "状态",
    "Taken on": "采集日期",
    "The form had expired": "表单已过期",
    "This donor belongs to no registered family.": "该捐献者不属于任何已登记的家系。",
    "This page is not for your role": "您的角色无权访问此页面",
    "Variants": "变异位点",
    "Vital status": "生存状态",
    "What your institution holds": "本机构的资源",
    "When": "时间",
    "Withdrawn on": "撤回日期",
    "Year of birth": "出生年份",
    "Your institution": "本机构",
    "Your role (%(role)s) does not allow this page. Ask your node's operator if you need it.": (
        "您的角色（%(role)s）无权访问此页面。如需访问，请联系本节点的管理员。"
    ),
    "Back to your institution": "返回本机构",
    "Changed": "修改",
    "Check the files": "检查文件",
    "Choose between 1 and %(n)s files.": "请选择 1 至 %(n)s 个文件。",
    "Fields that change": "将修改的字段",
    "File": "文件",
    "Files to check (up to %(n)s)": "要检查的文件（最多 %(n)s 个）",
    "How to mend it": "修改方法",
    "Import": "导入",
    "Import more files": "继续导入文件",
    "Imported": "已导入",
    "Kind": "记录类型",
    "New": "新增",
    "Nothing was written. Mend each problem in its file, then upload the files again.": (
        "没有写入任何内容。请在文件中逐一修改问题，然后重新上传。"
    ),
    "Problem": "问题",
    "Problems to mend": "需要修改的问题",
    "Record": "记录",
    "Records by kind": "各类记录数",
    "Review the changes": "核对修改",
    "Row": "行",
    "Start again with other files": "改用其他文件重新开始",
    "The changes are written, as import batch %(batch)s. Each changed field keeps its "
    "earlier value in the record's history.": (
        "修改已写入，导入批次为 %(batch)s。每个被修改字段的原值都保存在该记录的修改记录中。"
    ),
    "The confirmation did not carry the files: upload them again.": (
        "确认表单没有附带文件：请重新上传。"
    ),
    "The files passed every check. Nothing is written yet.": (
        "文件已通过全部检查。尚未写入任何内容。"
    ),
    "The registry already holds everything in these files: there is nothing to write.": (
        "登记库已包含这些文件中的全部内容：没有需要写入的内容。"
    ),
    "The registry changed since you checked these files, or the files did: nothing was "
    "written. Review the changes as they stand now.": (
        "在您检查之后，登记库或文件发生了变化：没有写入任何内容。请核对当前的修改。"
    ),
    "Unchanged": "未改变",
    "Warning:": "警告：",
    "Warnings": "警告",
    "Write these changes": "写入这些修改",
    "Back to the survey": "返回调查",
    "Category": "类别",
    "Check the return": "检查填报",
    "Count": "数量",
    "Counted from the registry": "由登记库统计",
    "Cycle": "调查周期",
    "Due": "截止日期",
    "Each survey cycle asks your institution for a return: counts from the registry, and a "
    "few answers only you can give. You review it, sign it with the node's key, and it goes "
    "to your province.": (
        "每个调查周期都要求本机构填报：一部分由登记库统计，另一部分只能由您回答。"
        "您核对后用本节点的密钥签署，再报送所在省份。"
    ),
    "Error:": "错误：",
    "No": "否",
    "No such survey cycle.": "没有这个调查周期。",
    "None": "无",
    "Not signed yet": "尚未签署",
    "One per line, parts separated by “;”.": "每行一项，各部分用“;”分隔。",
    "Replaces": "替代",
    "Return signed": "填报已签署",
    "Rules the return does not meet": "填报未满足的规则",
    "Sign and submit": "签署并提交",
    "Survey cycles": "调查周期",
    "Survey return": "调查填报",
    "The registry or your answers changed since the preview: nothing was signed. Check the "
    "return as it stands now, then sign it.": (
        "预览之后，登记库或您的回答发生了变化：没有签署任何内容。请检查当前的填报，然后再签署。"
    ),
    "The return of %(institution)s, counted from the registry as it stands now. Due on %(date)s.": (
        "%(institution)s 的填报，按登记库当前内容统计。截止日期为 %(date)s。"
    ),
    "This node holds no survey cycle yet. A cycle arrives from the national authority "
    "through your province.": ("本节点尚无调查周期。调查周期由国家主管部门经所在省份下达。"),
    "Version %(version)s of your return to %(cycle)s is signed with the node's key and kept.": (
        "您对 %(cycle)s 的第 %(version)s 版填报已用本节点的密钥签署并保存。"
    ),
    "Version %(version)s signed on %(date)s": "第 %(version)s 版，签署于 %(date)s",
    "Yes": "是",
    "Your answers": "您的回答",
    "Your return": "本机构的填报",
    "required": "必填",
    "Go on": "继续",
    "Sign in with your institution's identity provider": "通过本机构的身份提供方登录",
    "Signed in": "已登录",
    "The sign-in through your identity provider did not succeed. Try again, or sign in with "
    "a password.": ("通过身份提供方登录未成功。请重试，或使用密码登录。"),
    "Your identity provider cannot be reached: try again later, or sign in with a password.": (
        "无法连接您的身份提供方：请稍后再试，或使用密码登录。"
    ),
    "Alternate bases": "变异碱基",
    "Ask": "查询",
    "Ask whether any donor held here carries a variant.": "查询本节点是否有捐献者携带某个变异。",
    "Beacon": "Beacon 查询",
    "Beacon API": "Beacon 接口",
    "Choose a chromosome.": "请选择染色体。",
    "Choose the reference genome.": "请选择参考基因组。",
    "Chromosome": "染色体",
    "Counts below %(n)s are hidden, with every count that would give one away; a hidden "
    "count is shown as “%(x)s”.": (
        "小于 %(n)s 的数字以及可能据以推算出它们的数字均已隐去；隐去的数字显示为“%(x)s”。"
    ),
    "Edition": "版本",
    "Nation": "全国",
    "National survey": "全国调查",
    "National survey %(cycle)s": "%(cycle)s 年度全国调查",
    "No national edition of the survey is published on this node yet.": (
        "本节点尚未发布全国调查结果。"
    ),
    "No: the Beacon does not report this variant.": "否：Beacon 未报告该变异。",
    "Organisation": "机构",
    "Persons in the nation": "全国人数",
    "Position (from 1, as in a VCF)": "位置（从 1 起算，与 VCF 相同）",
    "Reference bases": "参考碱基",
    "Reference genome": "参考基因组",
    "The bases are letters A, C, G, T or N.": "碱基只能是字母 A、C、G、T 或 N。",
    "The national survey of human genetic resources counts, every cycle, what the "
    "institutions hold. Its tables are published with small counts hidden, so that no one "
    "can be picked out of them.": (
        "全国人类遗传资源调查每个周期统计各机构保藏的资源。发布的表格隐去了较小的数字，"
        "使任何人都无法从中被识别出来。"
    ),
    "The node's GA4GH Beacon v2 answers whether any donor it holds carries a variant. "
    "Visitors who are not signed in get a yes or a no, within daily limits; no record about "
    "any person leaves the node.": (
        "本节点的 GA4GH Beacon v2 回答其保藏的捐献者中是否有人携带某个变异。"
        "未登录的访问者在每日限额内得到“是”或“否”的回答；任何个人的记录都不会离开本节点。"
    ),
    "The position is a whole number from 1 to 300,000,000.": "位置是 1 至 300,000,000 之间的整数。",
    "What the institutions hold, counted every cycle, with small counts hidden.": (
        "各机构保藏的资源，每个周期统计一次，较小的数字已隐去。"
    ),
    "Where": "地区",
    "Yes: at least one donor held here carries this variant.": (
        "是：本节点至少有一名捐献者携带该变异。"
    ),
    "information (JSON)": "信息（JSON）",
    "male": "男",
    "female": "女",
    "other": "其他",
    "unknown": "不详",
    "alive": "在世",
    "deceased": "已故",
    "whole_blood": "全血",
    "serum": "血清",
    "plasma": "血浆",
    "buffy_coat": "白膜层",
    "pbmc": "外周血单个核细胞",
    "dna": "DNA",
    "rna": "RNA",
    "cdna": "cDNA",
    "saliva": "唾液",
    "urine": "尿液",
    "feces": "粪便",
    "tissue_frozen": "冷冻组织",
    "tissue_ffpe": "石蜡包埋组织",
    "cell_line": "细胞系",
    "csf": "脑脊液",
    "available": "可用",
    "reserved": "预留",
    "depleted": "已用尽",
    "destroyed": "已销毁",
    "transferred": "已转移",
    "active": "有效",
    "withdrawn": "已撤回",
    "expired": "已过期",
    "superseded": "已被取代",
    "Column": "列",
    "Each kind of record an institution registers has a template: a CSV or TSV file whose "
    "first row names the columns. Download a blank one, fill in a row per record, and import "
    "it. A file is recognised by its name (donors.csv, samples.tsv…).": (
        "机构登记的每一类记录都有一个模板：一个 CSV 或 TSV 文件，第一行是各列的名称。"
        "下载空白模板，每条记录填写一行，然后导入。系统按文件名识别文件（donors.csv、"
        "samples.tsv……）。"
    ),
    "Required": "必填",
    "Templates": "模板",
    "The templates, their columns, and blank ones to download": "模板、各列说明及空白模板下载",
    "What it holds": "内容",
    "blank template (CSV)": "空白模板（CSV）",
    "Call rate": "检出率",
    "Call rate and heterozygosity": "检出率与杂合度",
    "Declared sex": "登记性别",
    "Each sample's X chromosome F coefficient against its Y call rate, coloured by declared "
    "sex: below the first dashed line a sample looks female, above the second male.": (
        "每个样本的 X 染色体 F 系数与 Y 染色体检出率，按登记性别着色："
        "低于第一条虚线的样本像女性，高于第二条虚线的像男性。"
    ),
    "Each sample's call rate against its heterozygosity; the dashed line is the lowest call "
    "rate a sample may have.": ("每个样本的检出率与杂合度；虚线是样本允许的最低检出率。"),
    "Every sample": "全部样本",
    "Flags": "标记",
    "Genotype QC of %(collection)s": "%(collection)s 的基因型质控",
    "Heterozygosity": "杂合度",
    "Inferred sex": "推断性别",
    "No collection of your institution has genotypes under this code.": (
        "本机构没有此编号且带有基因型数据的样本集。"
    ),
    "No sample is flagged.": "没有样本被标记。",
    "Sample": "样本",
    "Samples flagged by QC": "质控标记的样本",
    "Sex check": "性别核对",
    "Store version": "数据库版本",
    "X chromosome F": "X 染色体 F 系数",
    "Y call rate": "Y 染色体检出率",
    "flagged": "已标记",
    "passed": "通过",
    "%(n)s families": "%(n)s 个家系",
    "%(population)s in %(region)s": "%(region)s的%(population)s",
    "%(resident)s of the %(donors)s donors of this population live in the region; they gave "
    "%(samples)s samples.": (
        "该人群的 %(donors)s 名捐献者中有 %(resident)s 名居住在该地区，共提供 %(samples)s 份样本。"
    ),
    "Affected": "患病状态",
    "Affected members in %(n)s generations (at least 3 are needed).": (
        "%(n)s 代中有患病成员（至少需要 3 代）。"
    ),
    "Catalogue": "名录",
    "Catalogue declarations": "名录申报",
    "Check the relationships against the genotypes of": "用以下样本集的基因型核对亲缘关系",
    "Choose a region from the list.": "请从列表中选择地区。",
    "Choose one of your genotyped collections, or none.": (
        "请选择本机构带有基因型数据的样本集，或不选。"
    ),
    "Condition": "疾病或性状",
    "Declarations": "申报",
    "Declare": "申报",
    "Declare a population of a specific region": "申报特定地区人群",
    "Declare again with the evidence as it is now": "按当前证据重新申报",
    "Declare as an important pedigree": "申报为重要遗传家系",
    "Declared on": "申报日期",
    "Describe the trait in at most 1,000 characters.": "请用不超过 1,000 个字符描述性状。",
    "Description": "说明",
    "Evidence the node checked": "节点核查的证据",
    "Family %(code)s": "家系 %(code)s",
    "Father": "父亲",
    "Find a donor, sample or family": "查找捐献者、样本或家系",
    "Generations": "代数",
    "Identifier of a donor, sample or family": "捐献者、样本或家系的标识号",
    "Important pedigree declaration": "重要遗传家系申报",
    "In the drawing": "系谱图中编号",
    "Members": "成员",
    "Mother": "母亲",
    "Name the population in at most 100 characters, on one line.": (
        "请在一行内用不超过 100 个字符填写人群名称。"
    ),
    "No donor, sample or family of your institution has the identifier “%(id)s”.": (
        "本机构没有标识号为“%(id)s”的捐献者、样本或家系。"
    ),
    "No family is registered yet: import families.csv with the family's PED file.": (
        "尚未登记家系：请导入 families.csv 及该家系的 PED 文件。"
    ),
    "No family of your institution has this code.": "本机构没有此编号的家系。",
    "No member of this family is registered: import its PED file.": (
        "该家系尚未登记成员：请导入其 PED 文件。"
    ),
    "Pedigree": "系谱图",
    "Population, as in donors.csv": "人群（与 donors.csv 中一致）",
    "Region": "地区",
    "Reviewers' note": "审核意见",
    "Say what makes the population's resources important, in at most 1,000 characters.": (
        "请用不超过 1,000 个字符说明该人群资源的重要性。"
    ),
    "Say what makes the population's resources important.": "请说明该人群资源的重要性。",
    "Squares are men, circles women, diamonds of unknown sex; filled symbols are affected by the "
    "family's condition, “?” unknown; a slash marks a deceased member and the arrow the proband.": (
        "方形为男性，圆形为女性，菱形为性别不明；实心符号表示患有该家系的疾病，“?”表示不明；斜线表"
        "示已故成员，箭头指示先证者。"
    ),
    "The condition is a common one (%(term)s), which does not make an important pedigree.": (
        "该疾病为常见病（%(term)s），不构成重要遗传家系。"
    ),
    "The condition is not on the list of common conditions.": "该疾病不在常见病清单中。",
    "The condition or trait, in words (optional)": "疾病或性状的文字描述（可选）",
    "The criteria are met.": "符合标准。",
    "The criteria are not met: the province decides, and needs your reasons.": (
        "不符合标准：由省级审核决定，并需要您说明理由。"
    ),
    "The families your institution registered, with their pedigrees and where their catalogue "
    "declarations stand.": "本机构登记的家系，及其系谱图和名录申报进展。",
    "The genotypes agree with the declared relationships.": "基因型与申报的亲缘关系一致。",
    "The genotypes disagree with the declared relationships: %(flags)s.": (
        "基因型与申报的亲缘关系不一致：%(flags)s。"
    ),
    "The node counts your donors of the population who live in the region, and their samples.": (
        "节点将统计本机构居住在该地区的该人群捐献者及其样本。"
    ),
    "The relationships were not checked against genotypes.": "亲缘关系未经基因型核对。",
    "This declaration is under review or registered already: it cannot be declared again.": (
        "该申报正在审核或已登记，不能重新申报。"
    ),
    "This family has not been declared. A family followed for a rare hereditary condition, with "
    "affected members in at least three generations, may be declared as an important genetic "
    "pedigree; the province reviews the declaration and the nation registers it.": (
        "该家系尚未申报。因罕见遗传病被随访、且至少三代中有患病成员的家系，可申报为重要遗传家系；由"
        "省级审核申报，国家登记。"
    ),
    "This family names no condition. Register its condition (families.csv, column “condition”) "
    "and declare it again.": (
        "该家系未登记疾病。请登记其疾病（families.csv 的“condition”列）后重新申报。"
    ),
    "Trait": "性状",
    "What makes its resources important": "其资源的重要性",
    "Your institution has declared nothing yet. Families are declared from their own page.": (
        "本机构尚未申报。家系请在其页面上申报。"
    ),
    "Your institution's declarations of important genetic pedigrees and of the resources of "
    "populations of specific regions, with the evidence the node checked and where each stands. "
    "The province reviews them and the nation registers them.": (
        "本机构对重要遗传家系和特定地区人群资源的申报，附节点核查的证据及各项进展。由省级审核，国家"
        "登记。"
    ),
    "affected": "患病",
    "declared": "已申报",
    "no collection": "不核对",
    "not declared": "未申报",
    "proband": "先证者",
    "province_approved": "省级已通过",
    "province_rejected": "省级未通过",
    "registered": "已登记",
    "rejected": "未通过",
    "unaffected": "未患病",
    "All templates (Excel workbook)": "全部模板（Excel 工作簿）",
    "The templates also come as one Excel workbook, with a sheet per template and a sheet "
    "describing every column; a sheet is recognised by its name.": (
        "模板也提供为一个 Excel 工作簿：每个模板一张工作表，另有一张工作表说明各列；工作表按名称识"
        "别。"
    ),
    "Upload your institution's templates (CSV or TSV files, or an Excel workbook with a sheet per "
    "template), pedigree files (PED) and Phenopackets (JSON). They are checked first: nothing is "
    "written until you have reviewed every change and confirmed it.": (
        "上传本机构的模板（CSV 或 TSV 文件，或每个模板一张工作表的 Excel 工作簿）、系谱文件（PED）"
        "和 Phenopackets（JSON）。文件会先经过检查：在您核对并确认每一项修改之前，不会写入任何内容"
        "。"
    ),
    "blank template (Excel)": "空白模板（Excel）",
    "As the province sees it": "省级看到的情况",
    "At the province": "省级状态",
    "In that edition": "该版本中",
    "Not compiled yet": "尚未汇编",
    "Not yet": "尚未纳入",
    "Problems the province found": "省级发现的问题",
    "Province's edition": "省级汇编版本",
    "Send it to the province, and see where it stands there": "报送省级，并查看其在省级的状态",
    "Send version %(version)s to the province": "将第 %(version)s 版报送省级",
    "Signed here": "本节点已签署",
    "The node's settings name a province but its token cannot be read: tell your node's "
    "operator.": "节点设置指定了省级节点，但无法读取其令牌：请告知本节点的管理员。",
    "The province did not keep your return: %(why)s": "省级未接收您的填报：%(why)s",
    "The province kept your return.": "省级已接收您的填报。",
    "The province's node did not answer: %(why)s": "省级节点没有应答：%(why)s",
    "This node does not reach its province's node.": "本节点未连接省级节点。",
    "This node does not reach its province's node: your node's operator sends the return (hgr "
    "survey send), or names the province in the node's settings ([survey] province).": (
        "本节点未连接省级节点：由本节点的管理员报送填报（hgr survey send），或在节点设置中指定省级"
        "节点（[survey] province）。"
    ),
    "Version %(version)s of your return": "您的填报第 %(version)s 版",
    "Version %(version)s, compiled on %(date)s": "第 %(version)s 版，汇编于 %(date)s",
    "Version received": "已收到的版本",
    "Where it stands": "查看状态",
    "Your return at the province": "您的填报在省级的状态",
    "invalid": "未通过校验",
    "late": "逾期报送",
    "missing": "未报送",
    "overdue": "已逾期未报送",
    "returned": "已报送",
    "%(cells)s cells where the header has %(columns)s": (
        "有 %(cells)s 个单元格，而表头有 %(columns)s 列"
    ),
    "%(cells)s columns where PED needs 6": "有 %(cells)s 列，而 PED 文件需要 6 列",
    "%(iid)s is their own ancestor: %(value)s": "%(iid)s 是自己的祖先：%(value)s",
    "%(individual_id)s has %(father_id)s as both father and mother": (
        "%(individual_id)s 的父亲和母亲都是 %(father_id)s"
    ),
    "%(individual_id)s has a %(value)s but no %(missing)s (half-founder)": (
        "%(individual_id)s 有 %(value)s 但没有 %(missing)s（半奠基者）"
    ),
    "%(individual_id)s names parents but has family id 0 (no family)": (
        "%(individual_id)s 填写了父母，但家系编号为 0（无家系）"
    ),
    "%(p)s appears twice": "%(p)s 出现了两次",
    "%(p)s's %(role)s %(parent)s is not in the family": "%(p)s 的 %(role)s %(parent)s 不在该家系中",
    "%(parent)s is their own ancestor": "%(parent)s 是自己的祖先",
    "%(parent_id)s is the %(role)s of %(individual_id)s but has unknown sex": (
        "%(parent_id)s 是 %(individual_id)s 的 %(role)s，但性别不明"
    ),
    "%(parent_id)s is the %(role)s of %(individual_id)s but is recorded as %(sex)s": (
        "%(parent_id)s 是 %(individual_id)s 的 %(role)s，但登记的性别为 %(sex)s"
    ),
    "%(record)s: %(field)s would change: %(before)s → %(after)s": (
        "%(record)s：%(field)s 将被修改：%(before)s → %(after)s"
    ),
    "%(role)s %(parent_id)s of %(individual_id)s is not in family %(family_id)s": (
        "%(individual_id)s 的 %(role)s %(parent_id)s 不在家系 %(family_id)s 中"
    ),
    "%(term)s (%(id)s) is a data-use %(is_kind)s, not a %(kind)s": (
        "%(term)s（%(id)s）是数据使用%(is_kind)s，不是%(kind)s"
    ),
    "%(value)s fails the GB 32100-2015 check character": (
        "%(value)s 未通过 GB 32100-2015 校验码检查"
    ),
    "%(value)s is not a DUO term": "%(value)s 不是 DUO 术语",
    "%(value)s is not a MONDO disease": "%(value)s 不是 MONDO 疾病术语",
    "%(value)s is not a SHA-256 checksum": "%(value)s 不是 SHA-256 校验值",
    "%(value)s is not a Unified Social Credit Code": "%(value)s 不是统一社会信用代码",
    "%(value)s is not a country code": "%(value)s 不是国家或地区代码",
    "%(value)s is not a date": "%(value)s 不是日期",
    "%(value)s is not a diagnosis code": "%(value)s 不是诊断代码",
    "%(value)s is not a known value": "%(value)s 不是可接受的取值",
    "%(value)s is not a number": "%(value)s 不是数字",
    "%(value)s is not a percentage": "%(value)s 不是百分比",
    "%(value)s is not a whole number": "%(value)s 不是整数",
    "%(value)s is not an HPO term": "%(value)s 不是 HPO 术语",
    "%(value)s is not yes or no": "%(value)s 不是“是”或“否”",
    "%(value)s is out of range": "%(value)s 超出范围",
    "%(what)s %(key)s is given again with different values (first at %(first)s)": (
        "%(what)s %(key)s 再次出现且取值不同（首次出现在 %(first)s）"
    ),
    "%(where)s: %(problem)s; fix: %(fix)s (%(code)s)": (
        "%(where)s：%(problem)s；修改方法：%(fix)s（%(code)s）"
    ),
    "DUO's disease-specific code (DS) takes a MONDO term, e.g. MONDO:0007739": (
        "DUO 的特定疾病代码（DS）须使用 MONDO 术语，例如 MONDO:0007739"
    ),
    "a %(level)s cannot sit under the %(parent_level)s %(parent)s": (
        "%(level)s 不能隶属于 %(parent_level)s %(parent)s"
    ),
    "a disease is given but the permission is not DS": "填写了疾病，但使用许可不是 DS",
    "a withdrawal date is given but status is %(status)s": "填写了撤回日期，但状态为 %(status)s",
    "add PED lines": "请添加 PED 行",
    "add a `%(column)s` column: %(meaning)s": "请添加“%(column)s”列：%(meaning)s",
    "add a header line": "请添加表头行",
    "add a header row": "请添加表头行",
    "add a line for %(parent_id)s (with 0 0 as parents if unknown), or set the %(role)s column "
    "to 0": "请为 %(parent_id)s 添加一行（父母不明时填 0 0），或将 %(role)s 列设为 0",
    "add individualId": "请添加 individualId",
    "add it to a collections template in this import, or correct the id": (
        "请在本次导入的样本集模板中添加它，或更正编号"
    ),
    "add subject.id: the institution's id of the individual": (
        "请添加 subject.id：本机构对该个体的编号"
    ),
    "add the donor to a donors template in this import, or correct the id": (
        "请在本次导入的捐献者模板中添加该捐献者，或更正编号"
    ),
    "add the missing parent (with 0 0 as their parents) or set both to 0": (
        "请添加缺少的父亲或母亲（其父母填 0 0），或将两者都设为 0"
    ),
    "add the parent, or leave the parent blank": "请添加该父亲或母亲，或将其留空",
    "cannot tell which template this table is": "无法判断该表格属于哪个模板",
    "check for a missing or extra separator, or quote cells that contain one": (
        "请检查是否缺少或多出分隔符，或为含有分隔符的单元格加引号"
    ),
    "check the path": "请检查路径",
    "collection %(collection_code)s is not registered": "样本集 %(collection_code)s 未登记",
    "collection date %(collection_date)s is in the future": "采集日期 %(collection_date)s 晚于今天",
    "column `%(column)s` is given more than once": "“%(column)s”列出现了不止一次",
    "columns missing: %(columns)s": "缺少列：%(columns)s",
    "copy the code again from the business licence; one character is wrong": (
        "请从营业执照重新抄录代码；有一个字符有误"
    ),
    "correct the collection date or the donor's birth year": "请更正采集日期或捐献者的出生年份",
    "correct the date": "请更正日期",
    "correct the father or mother column": "请更正父亲或母亲列",
    "correct the father or mother column of one individual on this path": (
        "请更正此路径上某个个体的父亲或母亲列"
    ),
    "correct the parents": "请更正父母",
    "correct the sex of %(parent_id)s, or the %(role)s column of %(individual_id)s": (
        "请更正 %(parent_id)s 的性别，或 %(individual_id)s 的 %(role)s 列"
    ),
    "correct withdrawn_on or signed_on": "请更正 withdrawn_on 或 signed_on",
    "declared domestic, but a foreign share of 50 %% or more, or control by agreement, makes "
    "it foreign-controlled (HGR Regulation Art. 21)": (
        "申报为境内机构，但境外持股或表决权达到 50%% 以上、或通过协议控制，即为外方实际控制（《人类"
        "遗传资源管理条例》第二十一条）"
    ),
    "declared foreign-controlled without a foreign share of 50 %% or more or control by "
    "agreement": "申报为外方实际控制，但没有 50%% 以上的境外持股或表决权，也没有协议控制",
    "disease-specific consent (DS) names no disease": "特定疾病知情同意（DS）未指明疾病",
    "donor %(donor)s: %(field)s is %(here)s here but %(there)s at %(first)s": (
        "捐献者 %(donor)s：%(field)s 在此处为 %(here)s，而在 %(first)s 为 %(there)s"
    ),
    "donor %(donor_id)s is not registered": "捐献者 %(donor_id)s 未登记",
    "export the record as a Phenopacket v2 (metaData.phenopacketSchemaVersion 2.0)": (
        "请将记录导出为 Phenopacket v2（metaData.phenopacketSchemaVersion 2.0）"
    ),
    "fill in `%(column)s`: it is required": "请填写“%(column)s”：此项必填",
    "geographical restriction (GS) and `countries` go together": (
        "地域限制（GS）与“countries”须同时填写"
    ),
    "give CSV/TSV templates or Excel workbooks (.xlsx), PED/FAM files or Phenopackets JSON": (
        "请提供 CSV/TSV 模板或 Excel 工作簿（.xlsx）、PED/FAM 文件或 Phenopackets JSON"
    ),
    "give a value from %(low)s to %(high)s": "请填写 %(low)s 至 %(high)s 之间的值",
    "give a value from 0 to 100": "请填写 0 至 100 之间的值",
    "give at least one person": "请至少提供一人",
    "give both GS in modifiers and the countries, or neither": (
        "请在附加条件中同时填写 GS 和国家，或两者都不填"
    ),
    "give both TS in modifiers and the end date, or neither": (
        "请在附加条件中同时填写 TS 和截止日期，或两者都不填"
    ),
    "give country, code, name, name_local, level, parent_code": (
        "请提供 country、code、name、name_local、level、parent_code"
    ),
    "give each column once: names are read without case or surrounding spaces": (
        "每列只填一次：列名不区分大小写，也忽略首尾空格"
    ),
    "give each person once": "每人只填一次",
    "give every individual a real id": "请为每个个体填写真实编号",
    "give family, individual, father, mother, sex and phenotype on every line": (
        "每行请填写家系、个体、父亲、母亲、性别和表型"
    ),
    "give foreign_equity_pct, foreign_voting_pct or control_by_agreement": (
        "请填写 foreign_equity_pct、foreign_voting_pct 或 control_by_agreement"
    ),
    "give the 18-character code of GB 32100-2015 printed on the business licence": (
        "请填写营业执照上 GB 32100-2015 规定的 18 位代码"
    ),
    "give the 64 hexadecimal digits printed by `sha256sum FILE`": (
        "请填写“sha256sum FILE”输出的 64 位十六进制数字"
    ),
    "give the MONDO disease in `disease`": "请在“disease”中填写 MONDO 疾病术语",
    "give the code of the region one level up": "请填写上一级地区的代码",
    "give the family a family id in column 1": "请在第 1 列填写家系编号",
    "give withdrawn_on": "请填写 withdrawn_on",
    "hgr import does not read %(kind)s files": "hgr import 不读取 %(kind)s 文件",
    "hgr import does not read the old Excel format (.xls)": (
        "hgr import 不读取旧版 Excel 格式（.xls）"
    ),
    "if the sample was misattributed, move it with `hgr sample move %(sample)s --to %(donor)s "
    "--reason ...`, then import again; else correct the donor_id": (
        "如果样本归属有误，请用“hgr sample move %(sample)s --to %(donor)s --reason ...”转移后重新导"
        "入；否则请更正 donor_id"
    ),
    "if this is meant, import again with --update (the old value is kept in its history); else "
    "correct the file": (
        "如确需修改，请加 --update 重新导入（旧值保留在修改记录中）；否则请更正文件"
    ),
    "import it as CSV files, or split it into smaller workbooks": (
        "请以 CSV 文件导入，或拆分为较小的工作簿"
    ),
    "import the family's PED file together with families.csv, or correct the proband": (
        "请将该家系的 PED 文件与 families.csv 一并导入，或更正先证者"
    ),
    "individual %(individual_id)s is listed twice in family %(family_id)s (first at line "
    "%(line)s)": "个体 %(individual_id)s 在家系 %(family_id)s 中出现了两次（首次在第 %(line)s 行）",
    "individual id %(iid)s is a missing-value code": "个体编号 %(iid)s 是缺失值代码",
    "keep one line for it, or make the lines agree": "请只保留一行，或使各行一致",
    "keep one line per individual and family": "每个个体在每个家系中只保留一行",
    "legal-person id %(legal_person_id)s is already registered to institution %(owner)s": (
        "法人代码 %(legal_person_id)s 已登记在机构 %(owner)s 名下"
    ),
    "make the files agree on this donor": "请使各文件中该捐献者的信息一致",
    "Choose how phenopackets name their donors.": "请选择表型包（Phenopackets）如何标识捐献者。",
    "Choose the phenopacket's own id for a collection gathered from many publications, whose "
    "subject ids repeat (“Patient 1” of two papers is two people). Keep the choice for later "
    "imports of the same phenopackets.": (
        "若为汇集自多篇文献的集合，其受试者编号会重复（两篇论文的“Patient 1”是两个人），"
        "请选择表型包自身的编号。之后导入同一批表型包时请保持相同的选择。"
    ),
    "In Phenopackets, each donor is named by": "在表型包中，每位捐献者的标识为",
    "its subject id: the institution's own id of the person": "受试者编号：机构自己的个人编号",
    "the phenopacket's own id": "表型包自身的编号",
    "subject %(subject)s of %(source)s is %(here)s here but %(there)s at %(first)s": (
        "来源 %(source)s 的受试者 %(subject)s 在此为 %(here)s，而在 %(first)s 为 %(there)s"
    ),
    "one subject of one source is one person: correct the sex, or give different people "
    "different subject ids": (
        "同一来源的同一受试者即是同一人：请更正性别，或为不同的人使用不同的受试者编号"
    ),
    "the columns are separated by %(found)s, but a %(kind)s file's are separated by "
    "%(expected)s": "各列以 %(found)s 分隔，而 %(kind)s 文件应以 %(expected)s 分隔",
    "save it as CSV UTF-8 (commas) or as tab-separated text named .tsv, or replace the "
    "separators": "请另存为“CSV UTF-8（逗号分隔）”或以 .tsv 命名的制表符分隔文本，或替换分隔符",
    "make the files agree on this donor; if they are different people whose phenopackets "
    "reuse one subject id (case reports of different publications), name each donor by its "
    "phenopacket's id: --donor-key id": "请使各文件中该捐献者的信息一致；如果这些是不同的人，"
    "只是表型包沿用了同一个受试者标识（不同文献的病例报告），请以表型包自身的标识命名每位"
    "捐献者：--donor-key id",
    "the family has no id, within which its members are named here (--donor-key id)": "该家系"
    "没有标识，而此处在其标识之内命名其成员（--donor-key id）",
    "add the family's id, or name donors by subject.id (--donor-key subject)": "请补充家系的"
    "标识，或以 subject.id 命名捐献者（--donor-key subject）",
    "the phenopacket has no id, which names its donor here (--donor-key id)": "该表型包没有"
    "标识，而此处以它命名捐献者（--donor-key id）",
    "add the phenopacket's id, or name donors by subject.id (--donor-key subject)": "请补充"
    "表型包的标识，或以 subject.id 命名捐献者（--donor-key subject）",
    "name each sheet after its template: %(templates)s": "请按模板名称命名各工作表：%(templates)s",
    "no sheet of the workbook is a template": "工作簿中没有模板工作表",
    "no such file": "文件不存在",
    "not UTF-8 text (byte %(start)s)": "不是 UTF-8 文本（第 %(start)s 字节）",
    "not a GA4GH Phenopacket v2 document (%(found)s)": (
        "不是 GA4GH Phenopacket v2 文档（%(found)s）"
    ),
    "not a valid table: %(why)s": "不是有效的表格：%(why)s",
    "not valid JSON: %(msg)s (column %(colno)s)": "不是有效的 JSON：%(msg)s（第 %(colno)s 列）",
    "open it in the spreadsheet and save it again as an Excel workbook (.xlsx)": (
        "请在电子表格软件中打开，并重新保存为 Excel 工作簿（.xlsx）"
    ),
    "parent %(parent)s is not in the list": "上级 %(parent)s 不在列表中",
    "pedigree person has no individualId": "系谱中的人员没有 individualId",
    "phenotype %(phenotype)s is not 1 (unaffected) or 2 (affected); stored as unknown": (
        "表型 %(phenotype)s 不是 1（未患病）或 2（患病）；按不明登记"
    ),
    "proband %(proband)s is not a member of family %(family)s in the pedigree of this import": (
        "先证者 %(proband)s 不是本次导入的系谱中家系 %(family)s 的成员"
    ),
    "provinces sit under a nation, prefectures under a province": "省级隶属于国家，地级隶属于省级",
    "put permissions (GRU, HMB, DS, POA, NRES) in `permission` and the rest in `modifiers`": (
        "请将使用许可（GRU、HMB、DS、POA、NRES）填入“permission”，其余填入“modifiers”"
    ),
    "quote cells correctly": "请正确地为单元格加引号",
    "region %(region_code)s is not in the node's region list": (
        "地区 %(region_code)s 不在本节点的地区列表中"
    ),
    "region %(residence_region)s is not in the node's region list": (
        "地区 %(residence_region)s 不在本节点的地区列表中"
    ),
    "remove the cells right of the last named column, or name their column": (
        "请删除最后一个有名称的列右侧的单元格，或为其所在列命名"
    ),
    "rename or remove it; the columns are: %(columns)s": (
        "请重命名或删除该列；可用的列为：%(columns)s"
    ),
    "repair the JSON; a validator such as `python -m json.tool FILE` shows where": (
        "请修复 JSON；可用“python -m json.tool FILE”等校验工具查看出错位置"
    ),
    "required column `%(column)s` is missing": "缺少必填列“%(column)s”",
    "sample %(sample)s is registered to another donor; the file gives %(donor)s": (
        "样本 %(sample)s 已登记在另一名捐献者名下；文件中为 %(donor)s"
    ),
    "sample taken in %(year)s, before the donor's birth year %(born)s": (
        "样本采集于 %(year)s 年，早于捐献者的出生年份 %(born)s"
    ),
    "save as UTF-8": "请保存为 UTF-8",
    "save it as UTF-8 (Excel: CSV UTF-8)": "请保存为 UTF-8（Excel 中选择“CSV UTF-8”）",
    "save it as UTF-8 plain text": "请保存为 UTF-8 纯文本",
    "save it from the spreadsheet as an Excel workbook (.xlsx) or as CSV UTF-8": (
        "请在电子表格软件中另存为 Excel 工作簿（.xlsx）或 CSV UTF-8"
    ),
    "save the workbook as an Excel workbook (.xlsx) or as CSV UTF-8": (
        "请将工作簿另存为 Excel 工作簿（.xlsx）或 CSV UTF-8"
    ),
    "set control to foreign_controlled, or correct the shares": (
        "请将 control 设为 foreign_controlled，或更正持股比例"
    ),
    "set permission to DS, or clear `disease`": "请将使用许可设为 DS，或清空“disease”",
    "set status to withdrawn, or clear withdrawn_on": "请将状态设为 withdrawn，或清空 withdrawn_on",
    "set the sex of %(parent_id)s to %(value)s": "请将 %(parent_id)s 的性别设为 %(value)s",
    "signed on %(signed_on)s, a future date": "签署日期 %(signed_on)s 晚于今天",
    "start the file name with one of: %(templates)s (e.g. donors.csv)": (
        "文件名须以下列之一开头：%(templates)s（例如 donors.csv）"
    ),
    "status is withdrawn but no withdrawal date is given": "状态为已撤回，但未填写撤回日期",
    "subject.dateOfBirth %(born)s is not a timestamp": "subject.dateOfBirth %(born)s 不是时间戳",
    "subject.sex %(sex_raw)s is not a Phenopackets sex": (
        "subject.sex %(sex_raw)s 不是 Phenopackets 的性别取值"
    ),
    "subject.vitalStatus.status %(vital_raw)s is not a Phenopackets vital status": (
        "subject.vitalStatus.status %(vital_raw)s 不是 Phenopackets 的生存状态取值"
    ),
    "swap or correct the dates": "请调换或更正日期",
    "the family has no members": "该家系没有成员",
    "the file has no individuals": "文件中没有个体",
    "the file is empty": "文件为空",
    "the file is not UTF-8 text (byte %(byte)s)": "文件不是 UTF-8 文本（第 %(byte)s 字节）",
    "the file is not UTF-8 text (byte %(start)s)": "文件不是 UTF-8 文本（第 %(start)s 字节）",
    "the file is not an Excel workbook (.xlsx)": "文件不是 Excel 工作簿（.xlsx）",
    "the phenopacket has no subject with an id": "该 phenopacket 没有带编号的 subject",
    "the sheet is empty": "工作表为空",
    "the sheet “%(sheet)s” is not a template, and was not read": (
        "工作表“%(sheet)s”不是模板，未读取"
    ),
    "the workbook cannot be read (%(why)s)": "无法读取该工作簿（%(why)s）",
    "the workbook is refused: its part %(part)s unpacks %(ratio)s-fold": (
        "拒绝该工作簿：其组成部分 %(part)s 解压后膨胀 %(ratio)s 倍"
    ),
    "the workbook is refused: its parts unpack to %(size)s bytes, over %(limit)s": (
        "拒绝该工作簿：其各部分解压后共 %(size)s 字节，超过 %(limit)s"
    ),
    "time limit (TS) and `time_limit` go together": "时间限制（TS）与“time_limit”须同时填写",
    "unknown column `%(column)s` in a %(template)s template": (
        "%(template)s 模板中没有“%(column)s”列"
    ),
    "use 1, 2, or 0 for missing; keep quantitative traits in a phenotype file": (
        "请填写 1、2，缺失填 0；数量性状请放在表型文件中"
    ),
    "use a DUO id or shorthand, e.g. DUO:0000042 or GRU, HMB, DS, NCU, GS": (
        "请使用 DUO 编号或简称，例如 DUO:0000042 或 GRU、HMB、DS、NCU、GS"
    ),
    "use an official code (GB/T 2260 for China) or load the country's regions with `hgr "
    "regions load`": "请使用官方代码（中国为 GB/T 2260），或用“hgr regions load”载入该国的地区列表",
    "use an official region code, e.g. 110000 for Beijing": "请使用官方地区代码，例如北京为 110000",
    "use one of: %(choices)s": "请使用以下之一：%(choices)s",
    "use one of: %(value)s": "请使用以下之一：%(value)s",
    "use that institution's code, or correct the identifier": "请使用该机构的代码，或更正标识号",
    "use the ISO 3166-1 alpha-2 code, e.g. CN, GB, US": (
        "请使用 ISO 3166-1 二字母代码，例如 CN、GB、US"
    ),
    "valid_to %(valid_to)s is before valid_from %(valid_from)s": (
        "valid_to %(valid_to)s 早于 valid_from %(valid_from)s"
    ),
    "value is missing": "缺少取值",
    "withdrawn before it was signed": "撤回日期早于签署日期",
    "write HP: and seven digits, e.g. HP:0001250 (prefix ! if the feature is excluded)": (
        "请填写 HP: 加七位数字，例如 HP:0001250（排除的表型前加 !）"
    ),
    "write a percentage such as 35 or 51.5": "请填写百分比，例如 35 或 51.5",
    "write an ISO 8601 date: YYYY-MM-DD": "请按 ISO 8601 格式填写日期：YYYY-MM-DD",
    "write an RFC 3339 timestamp, e.g. 1984-03-01T00:00:00Z": (
        "请填写 RFC 3339 时间戳，例如 1984-03-01T00:00:00Z"
    ),
    "write digits only, e.g. 1984": "请只填写数字，例如 1984",
    "write true or false": "请填写 true 或 false",
    "%(field)s must be a list of objects with text values, without control characters": (
        "%(field)s 须为由文本值构成的对象列表，且不含控制字符"
    ),
    "%(field)s must be a whole number from 0 to %(most)s, not %(value)s": (
        "%(field)s 须为 0 至 %(most)s 之间的整数，而不是 %(value)s"
    ),
    "%(field)s must be text of at most %(most)s characters, without control characters": (
        "%(field)s 须为不超过 %(most)s 个字符的文本，且不含控制字符"
    ),
    "%(field)s must be true or false": "%(field)s 须为“是”或“否”",
    "%(field)s must map categories to whole numbers of at least 0": (
        "%(field)s 须将各类别对应到不小于 0 的整数"
    ),
    "%(label)s (%(spec)s) is not answered": "%(label)s（%(spec)s）未填写",
    "%(name)s (%(value)s) exceeds donors (%(donors)s)": (
        "%(name)s（%(value)s）超过捐献者人数（%(donors)s）"
    ),
    "%(name)s is not a form field of %(version)s": "%(name)s 不是 %(version)s 的填报字段",
    "%(table)s adds up to %(value)s, not %(total)s = %(value2)s": (
        "%(table)s 合计为 %(value)s，而不是 %(total)s = %(value2)s"
    ),
    "%(table)s counts more donors than there are: %(over)s": (
        "%(table)s 统计的捐献者多于实际人数：%(over)s"
    ),
    "%(value)s donor(s) have no active consent": "%(value)s 名捐献者没有有效的知情同意",
    "Active consents by DUO modifier": "按 DUO 附加条件统计的有效知情同意",
    "Active consents by DUO permission": "按 DUO 使用许可统计的有效知情同意",
    "Consents withdrawn during the cycle's period": "本周期内撤回的知情同意",
    "Declared pedigrees with a condition": "登记了疾病的家系",
    "Donors (records)": "捐献者（记录数）",
    "Donors by diagnosis": "按诊断统计的捐献者",
    "Donors by population": "按人群统计的捐献者",
    "Donors by province of residence": "按居住省份统计的捐献者",
    "Donors by sex": "按性别统计的捐献者",
    "Donors with a sample of each material type": "各类样本的捐献者人数",
    "Donors with data of each category": "各类数据的捐献者人数",
    "Donors with genotypes in the genotype store": "基因型数据库中有基因型的捐献者",
    "Donors with no active consent": "没有有效知情同意的捐献者",
    "Ethics approvals expired by the reference date": "截至基准日已到期的伦理审查批件",
    "Ethics approvals valid at the reference date": "基准日有效的伦理审查批件",
    "Foreign parties cooperated with": "合作的外方单位",
    "Holds resources of populations of specific regions": "保藏特定地区人群的资源",
    "International cooperation projects active in the period": "本周期内进行中的国际合作项目",
    "Pedigree members": "家系成员",
    "Persons (donors linked as one person counted once)": "人数（关联为同一人的捐献者只计一次）",
    "Provisions of HGR information to foreign parties filed in the period": (
        "本周期内备案的向外方提供人类遗传资源信息"
    ),
    "Remarks": "备注",
    "Samples by material type": "按样本类型统计的样本",
    "answer %(spec)s in the form file": "请在填报文件中填写 %(spec)s",
    "answer only: %(value)s": "只需填写：%(value)s",
    "code, condition, generations, members, affected members, generations affected": (
        "编号、疾病、代数、成员数、患病成员数、有患病成员的代数"
    ),
    "code, name, materials, data categories, disease focus, donors, samples": (
        "编号、名称、样本类型、数据类别、疾病方向、捐献者数、样本数"
    ),
    "computed field %(spec)s is missing": "缺少统计字段 %(spec)s",
    "correct the answer": "请更正填写内容",
    "data_category": "数据类别",
    "disease": "疾病",
    "draft the return again": "请重新生成填报草稿",
    "draft the return again for this cycle": "请针对本周期重新生成填报草稿",
    "duo": "DUO 术语",
    "duplicate links of the relatedness engine inside the institution": (
        "依据亲缘关系分析在本机构内发现的重复关联"
    ),
    "filings under Reg. Art. 28": "依《条例》第二十八条的备案",
    "from the categories of the collections holding their samples": "依其样本所属样本集的数据类别",
    "international cooperation is reported but no foreign party is named": (
        "填报了国际合作，但未列出外方单位"
    ),
    "list each foreign party with its country": "请列出每个外方单位及其国家或地区",
    "material": "样本类型",
    "name and country of each": "各单位的名称和国家或地区",
    "population": "人群",
    "projects with a foreign party (Reg. Art. 21-22)": (
        "与外方合作的项目（《条例》第二十一、二十二条）"
    ),
    "region": "地区",
    "register the approvals its collections were made under": "请登记其样本集所依据的伦理审查批件",
    "register their consents, or record their withdrawal": "请登记其知情同意，或记录其撤回",
    "sex": "性别",
    "the institution holds donors but no ethics approval is valid at the reference date": (
        "本机构有捐献者，但基准日没有有效的伦理审查批件"
    ),
    "the return answers dictionary %(value)s, the cycle asks %(version)s": (
        "填报所依据的数据字典为 %(value)s，而本周期要求 %(version)s"
    ),
    "DUO data-use codes of the collection": "样本集的 DUO 数据使用代码",
    "DUO modifiers, ;-separated (NCU, IRB, GS, TS …)": (
        "DUO 附加条件，用 ; 分隔（NCU、IRB、GS、TS …）"
    ),
    "DUO permission: GRU, HMB, DS, POA or NRES": "DUO 使用许可：GRU、HMB、DS、POA 或 NRES",
    "HPO terms, ;-separated; prefix ! for excluded": "HPO 术语，用 ; 分隔；排除的表型前加 !",
    "ISO 3166-1 alpha-2 country of registration": "注册地国家或地区（ISO 3166-1 二字母代码）",
    "ISO countries, required with GS": "ISO 国家或地区代码，使用 GS 时必填",
    "MONDO disease, required with DS": "MONDO 疾病术语，使用 DS 时必填",
    "SHA-256 of the plaintext": "明文的 SHA-256 校验值",
    "SHA-256 of the signed document": "已签署文件的 SHA-256 校验值",
    "active (default), suspended or withdrawn": "active（默认）、suspended 或 withdrawn",
    "active, withdrawn, expired or superseded": "active、withdrawn、expired 或 superseded",
    "alive, deceased or unknown": "alive、deceased 或 unknown",
    "available, reserved, depleted, destroyed, transferred": (
        "available、reserved、depleted、destroyed、transferred"
    ),
    "collection it belongs to": "所属样本集",
    "collection the approval covers": "批件涵盖的样本集",
    "collection the file belongs to": "文件所属样本集",
    "data held, ;-separated (MIABIS)": "保藏的数据类别，用 ; 分隔（MIABIS）",
    "date of withdrawal, required when withdrawn": "撤回日期，已撤回时必填",
    "date signed, YYYY-MM-DD": "签署日期，YYYY-MM-DD",
    "date taken, YYYY-MM-DD": "采集日期，YYYY-MM-DD",
    "diseases studied: ICD10/ORPHA/MONDO/OMIM codes": "研究的疾病：ICD10/ORPHA/MONDO/OMIM 代码",
    "domestic, foreign or foreign_controlled": "domestic、foreign 或 foreign_controlled",
    "donor id of the proband, a member in the family's PED": (
        "先证者的捐献者编号，须为该家系 PED 文件中的成员"
    ),
    "end of permitted use, required with TS": "允许使用的截止日期，使用 TS 时必填",
    "family id as used in PED files": "家系编号，与 PED 文件中一致",
    "first day of validity": "生效日期",
    "free text": "自由文本",
    "hereditary condition followed: ICD10/ORPHA/MONDO/OMIM": (
        "随访的遗传病：ICD10/ORPHA/MONDO/OMIM 代码"
    ),
    "hospital, university, research_institute, biobank or company": (
        "hospital、university、research_institute、biobank 或 company"
    ),
    "last day of validity": "失效日期",
    "legal-person identifier (USCC in China)": "法人标识（中国为统一社会信用代码）",
    "male, female, other or unknown": "male、female、other 或 unknown",
    "material type (MIABIS)": "样本类型（MIABIS）",
    "materials held, ;-separated (MIABIS)": "保藏的样本类型，用 ; 分隔（MIABIS）",
    "name of the collection": "样本集名称",
    "name of the condition": "疾病名称",
    "name of the controlling foreign party": "实际控制的外方名称",
    "name of the ethics committee": "伦理委员会名称",
    "none or crypt4gh": "none 或 crypt4gh",
    "number of donors planned": "计划的捐献者人数",
    "official code of the region of residence": "居住地区的官方代码",
    "official code of the region, e.g. GB/T 2260 110000": (
        "地区的官方代码，例如 GB/T 2260 的 110000"
    ),
    "path or URI of the file": "文件的路径或 URI",
    "population or ethnic group": "人群或民族",
    "registered name": "登记名称",
    "share of equity held by foreign parties, 0-100": "外方持股比例，0-100",
    "share of votes held by foreign parties, 0-100": "外方表决权比例，0-100",
    "short code of the institution, unique on the node": "机构简码，在本节点内唯一",
    "size in bytes": "大小（字节）",
    "the committee's approval reference": "委员会的批件编号",
    "the donor it was taken from": "样本来源的捐献者",
    "the donor who signed": "签署的捐献者",
    "the institution's code for the collection": "本机构对该样本集的编号",
    "the institution's own donor id (stored only as an HMAC)": (
        "本机构自己的捐献者编号（仅以 HMAC 形式保存）"
    ),
    "the institution's sample id": "本机构的样本编号",
    "true if a foreign party controls by agreement": "外方通过协议控制时填 true",
    "vcf, bcf, plink, cram, bam, fastq, phenotypes, …": (
        "vcf、bcf、plink、cram、bam、fastq、phenotypes 等"
    ),
    "version of the consent form": "知情同意书版本",
    "what the approval covers": "批件涵盖的范围",
    "year of birth": "出生年份",
    "The pedigree cannot be drawn: its parents and children do not form a family tree. The "
    "members are listed below.": "无法绘制该系谱图：其父母与子女关系不构成家系树。成员列于下方。",
    "the sheet has more rows than a spreadsheet holds (%(most)s)": (
        "工作表的行数超过电子表格的上限（%(most)s）"
    ),
    "%(n)s error(s) in the input; nothing was written": "输入中有 %(n)s 处错误；未写入任何内容",
    "%(returned)s of %(expected)s": "%(expected)s 家中的 %(returned)s 家",
    "1. Resources by province": "一、各省资源",
    "2. Resources by kind of institution": "二、各类机构资源",
    "3. Samples by material": "三、按材料类型的样本",
    "5. Data held about donors": "五、捐献者相关数据",
    "6. Consents by permitted use": "六、按许可用途的知情同意",
    "7. Diagnoses": "七、诊断",
    "8. Important genetic pedigrees and specific-region resources": (
        "八、重要遗传家系和特定地区人类遗传资源"
    ),
    "9. Change since the previous cycle": "九、与上一周期相比的变化",
    "About these figures": "关于本报告的数字",
    "Active consents by their GA4GH Data Use Ontology permission.": (
        "按 GA4GH 数据使用本体（DUO）许可类型统计的有效知情同意。"
    ),
    "Change": "变化",
    "Change since cycle %(cycle)s": "与 %(cycle)s 周期相比的变化",
    "Consents withdrawn": "撤回的知情同意",
    "Cycle %(cycle)s": "%(cycle)s 周期",
    "Diagnosis": "诊断",
    (
        "Disclosure control. Counts from 1 to %(below)s are not published (shown as x). E"
        "very table of this edition, and of every edition of this cycle published before "
        "it, was audited together, as a reader holding all of them would: with the totals"
        " at every level, the relations between tables (the breakdowns of the donor recor"
        "ds add up to them, no category exceeds them, persons never exceed them) and the "
        "counts a correction left unchanged. A linear program found the least and the gre"
        "atest value of each hidden count, and of each small count of people enrolled twi"
        "ce; more cells were hidden until every such range was at least %(interval)s wide"
        ". A cell hidden in an earlier edition stays hidden. Charts leave hidden counts o"
        "ut. Published zeros are true zeros."
    ): (
        "披露控制。1 至 %(below)s 的计数不予公布"
        "（显示为 x）。本版的全部表格与本周期此前"
        "公布的各版一并审查，如同持有全部表格的读"
        "者所见：包括各层级的合计、表格之间的关系"
        "（捐献者记录的各项分类之和等于其总数，任"
        "何类别都不超过总数，人数不超过记录数），"
        "以及更正版未改变的计数。线性规划求出每个"
        "隐藏计数以及每个较小的重复登记人数的最小"
        "值和最大值；继续隐藏更多单元格，直至每个"
        "范围的宽度至少为 %(interval)s。此前版本"
        "隐藏的单元格继续隐藏。图表不显示隐藏的计"
        "数。公布的零即真实的零。"
    ),
    "Donor records": "捐献者记录",
    "Donor records with data of each category (nation)": "各类数据的捐献者记录（全国）",
    (
        "Each institution's return is signed by the institution, each provincial edition "
        "by its province and this national edition by the national authority; hgr survey "
        "verify checks every signature down to the returns. This edition's SHA-256 is %(s"
        "ha256)s. Report generated %(generated)s."
    ): (
        "各机构的调查表由机构签名，各省汇总版由本"
        "省签名，本全国汇总版由国家主管部门签名；"
        "hgr survey verify 逐级核验直至各机构调查"
        "表的全部签名。本版的 SHA-256 为 %(sha256"
        ")s。报告生成于 %(generated)s。"
    ),
    "Important pedigrees": "重要遗传家系",
    (
        "Institutions declared %(declared)s families followed for a hereditary condition;"
        " %(qualifying)s of them have affected members in at least three generations, the"
        " first condition for entry in the national catalogue."
    ): (
        "各机构申报了 %(declared)s 个因遗传性疾病"
        "而随访的家系；其中 %(qualifying)s 个至少"
        "三代有患病成员，这是列入国家目录的首要条"
        "件。"
    ),
    "Institutions returned": "已提交调查表的机构",
    "National survey of human genetic resources %(cycle)s": "%(cycle)s 年全国人类遗传资源调查",
    "No diagnosis was reported with enough donors to be published.": (
        "没有捐献者人数足以公布的诊断。"
    ),
    "Persons": "人数",
    "Persons (people, counted once)": "人数（每人只计一次）",
    (
        "Persons are counted once within each province: a person enrolled in two province"
        "s counts in both, so the provinces add up to more than the nation."
    ): ("人数在每个省内只计一次：在两个省登记的人在两省各计一次，因此各省之和大于全国人数。"),
    "Province": "省份",
    "Provinces": "省份",
    "Samples and donor records by province": "各省样本与捐献者记录",
    "Samples by material type (nation)": "按材料类型的样本（全国）",
    "Specific-region resources": "特定地区人类遗传资源",
    (
        "Survey period %(start)s to %(end)s · counts at %(reference)s · national edition "
        "%(version)s compiled %(compiled)s"
    ): (
        "调查期间 %(start)s 至 %(end)s · 计数截至"
        " %(reference)s · 全国汇总版第 %(version)"
        "s 版，汇总于 %(compiled)s"
    ),
    (
        "The national catalogue holds %(pedigrees)s registered important pedigrees and %("
        "regions)s registered specific-region resources. Under review: %(pedigrees_review"
        ")s pedigree and %(regions_review)s specific-region declarations; not accepted: %"
        "(pedigrees_rejected)s and %(regions_rejected)s. Registered resources are protect"
        "ed: providing their information abroad needs a security review."
    ): (
        "国家目录收录已登记的重要遗传家系 %(pedig"
        "rees)s 个、特定地区人类遗传资源 %(region"
        "s)s 项。审核中：家系申报 %(pedigrees_rev"
        "iew)s 件、特定地区申报 %(regions_review)"
        "s 件；未获认定：%(pedigrees_rejected)s "
        "件和 %(regions_rejected)s 件。已登记的资"
        "源受保护：向境外提供其信息须经安全审查。"
    ),
    "This cycle": "本周期",
    "This edition corrects an earlier one.": "本版更正了此前的一版。",
    "This is the first cycle compiled on this platform: there is nothing to compare with yet.": (
        "这是本平台汇总的第一个周期，尚无可比较的数据。"
    ),
    (
        "This report summarises the human genetic resources held by the institutions that"
        " returned the survey: donors and their samples, the data held about them, their "
        "consents, and the families followed for hereditary conditions. Persons are count"
        "ed once even when they are enrolled at several institutions: genotype fingerprin"
        "ts link the records of one person."
    ): (
        "本报告汇总提交调查表的机构所保藏的人类遗"
        "传资源：捐献者及其样本、相关数据、知情同"
        "意，以及因遗传性疾病而随访的家系。同一人"
        "在多家机构登记时只计一次：基因型指纹将同"
        "一人的记录关联起来。"
    ),
    "Total": "合计",
    (
        "Units. A donor record is one institution's record of a donor; a person enrolled "
        "at two institutions is two donor records and one person. Persons are counted onc"
        "e within each province and each kind of institution, and once in the nation."
    ): (
        "计数单位。捐献者记录是一家机构对一名捐献"
        "者的记录；在两家机构登记的同一人是两条捐"
        "献者记录、一个人。人数在每个省和每类机构"
        "内只计一次，在全国也只计一次。"
    ),
    "Hospital": "医院",
    "University": "高等院校",
    "Research institute": "科研院所",
    "Biobank": "生物样本库",
    "Company": "企业",
    "Kind of institution": "机构类型",
    "4. Donor records by sex and age": "四、按性别和年龄的捐献者记录",
    "Donor records by age at the reference date": "按调查基准日年龄的捐献者记录",
    "Donors by age at the reference date": "按调查基准日年龄的捐献者",
    "from the year of birth: 0-17, 18-39, 40-59, 60-79, 80+ or unknown": (
        "按出生年份：0-17、18-39、40-59、60-79、80 岁及以上或未知"
    ),
    (
        "Donor records under every category of data that the collections holding their sa"
        "mples declare. These are records, not persons: a person enrolled at two institut"
        "ions counts twice here. The persons with whole-genome or whole-exome data, to wh"
        "ich the 500-person threshold for provision abroad applies, are in tables 1 and 2"
        "."
    ): (
        "按保存其样本的样本集所声明的各类数据统计"
        "的捐献者记录。这里是记录而非人数：在两家"
        "机构登记的同一人在此计为两次。向境外提供"
        "时 500 人阈值所指的拥有全基因组或全"
        "外显子组数据的人数，见表 1 和表 2。"
    ),
    "ICD10/ORPHA/MONDO/OMIM codes, ;-separated, each optionally with its label": (
        "ICD10/ORPHA/MONDO/OMIM 代码，用 ; 分隔，每个代码后可附名称"
    ),
    "Names of the diagnoses": "诊断名称",
    "Persons with genome or exome data": "有基因组或外显子组数据的人数",
    (
        "Persons with genome or exome data are the persons with whole-genome or whole-exo"
        "me sequencing data, counted the same way: the persons to which the 500-person th"
        "reshold for provision abroad applies."
    ): (
        "有基因组或外显子组数据的人数，指拥有全基"
        "因组或全外显子组测序数据的人，按同样方式"
        "计数：即向境外提供时 500 人阈值所指"
        "的人数。"
    ),
    "disease specific research": "特定疾病研究",
    "each diagnosis code counted, with the label most of its records give": (
        "统计的每个诊断代码，及其多数记录所给的名称"
    ),
    "general research use": "一般研究用途",
    "health or medical or biomedical research": "健康、医学或生物医学研究",
    "no restriction": "无限制",
    "population origins or ancestry research only": "仅限人群起源或祖源研究",
    (
        "write ICD10:G10, ORPHA:399, MONDO:0007739 or OMIM:143100, optionally followed by"
        " the label (ORPHA:399 Huntington disease)"
    ): (
        "请按 ICD10:G10、ORPHA:3"
        "99、MONDO:0007739 或 O"
        "MIM:143100 的格式填写，代码后"
        "可附名称（ORPHA:399 Hunti"
        "ngton disease）"
    ),
}


def main() -> int:
    with (ROOT / "hgr.pot").open("rb") as handle:
        template = read_po(handle)
    template.locale = "zh_Hans_CN"  # type: ignore[assignment]
    missing = [m.id for m in template if m.id and m.id not in ZH]
    if missing:
        print("no Chinese for:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for message in template:
        if message.id:
            message.string = ZH[str(message.id)]
    template.project, template.version = "hgr", ""
    template.copyright_holder = template.last_translator = template.language_team = "hgr"
    template.msgid_bugs_address = ""
    template.fuzzy = False
    target = ROOT / "zh_Hans" / "LC_MESSAGES" / "hgr.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, template, omit_header=False, sort_output=True, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
